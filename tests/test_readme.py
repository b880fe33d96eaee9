"""The README and docs/ say only what exists: every `batchsvc ...` command and option they name is one the CLI
has, every `batchsvc.module.NAME` imports, every JSON block parses, every Python block compiles, and the inline
Watson ML payload scores as it is written."""

import importlib
import json
import re
import shlex

import click
import pytest
from harness import ROOT, submit, wait_job

from batchsvc.cli.main import main

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
SPAN = re.compile(r"`(batchsvc [^`]+)`")
DOTTED = re.compile(r"`(batchsvc(?:\.\w+)+)`")


OURS = [ROOT / "README.md", ROOT / "docs" / "tour.md"]  # docs whose every JSON block is whole (others elide fields)
FILE_SUFFIXES = ("yaml", "yml", "py", "toml", "json", "md")  # `batchsvc.yaml` is a file a code model holds
NOT_PYTHON = {"batchsvc.DQ"}  # names that are not Python: Dramatiq's delay queue (docs/client.md, metrics)


def blocks(kind: str, docs: list = DOCS) -> list[tuple[str, str]]:
    return [(doc.name, body) for doc in docs if doc.exists() for lang, body in FENCE.findall(doc.read_text())
            if lang == kind]


def commands() -> list[tuple[str, str]]:
    """Every `batchsvc ...` the docs show: inline spans, and lines of shell blocks (after a VAR=value prefix)."""
    found = [(doc.name, span) for doc in DOCS for span in SPAN.findall(doc.read_text())]
    for name, body in blocks("bash") + blocks("console"):
        for line in body.replace("\\\n", " ").splitlines():
            line = re.sub(r"^\$ ", "", line.split("  #")[0].strip())
            for part in re.split(r"&&|\|", line):
                words = [w for w in part.split() if not re.match(r"^[A-Z_]+=", w)]
                if words[:1] == ["batchsvc"]:
                    found.append((name, " ".join(words)))
    return sorted(set(found))


def resolve(text: str) -> tuple[click.Command, list[str]]:
    """The command a `batchsvc ...` text names and the options it uses; fails on a command that does not exist."""
    words = shlex.split(re.sub(r"<[^>]*>", "X", text.replace("'", "").replace('"', "")), posix=True)[1:]
    command: click.Command = main
    for word in words:
        if not isinstance(command, click.Group) or word.startswith("-") or not re.fullmatch(r"[a-z][a-z-]*", word):
            break
        sub = command.get_command(click.Context(main), word)
        if sub is None:
            if any(w in word for w in "|[(") or command is not main:  # `models list|show`: alternatives
                break
            raise AssertionError(f"`{text}`: batchsvc has no command {word!r}")
        command = sub
    options = re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", text)
    return command, options


@pytest.mark.parametrize("doc, text", commands(), ids=lambda v: v if len(v) < 60 else v[:57] + "...")
def test_every_command_and_option_the_docs_name_exists(doc, text):
    command, options = resolve(text)
    if isinstance(command, click.Group):  # a group's span lists its subcommands: each must exist
        for word in re.findall(r"(?<![-\w])([a-z][a-z-]+)", text.split(command.name or "", 1)[-1]):
            if word in ("for", "or", "and", "to", "of"):
                continue
            assert word in command.commands or not options, f"{doc}: `{text}`"
        return
    known = {o for p in command.params for o in p.opts + p.secondary_opts} | {"--help"}
    for subgroup in ([command] if not isinstance(command, click.Group) else []):
        unknown = [o for o in options if o not in known]
        assert not unknown, f"{doc}: `{text}`: `batchsvc {subgroup.name}` has no {unknown}"


def test_the_code_map_and_the_text_name_only_importable_things():
    for doc in DOCS:
        for dotted in DOTTED.findall(doc.read_text()):
            module, _, name = dotted.rpartition(".")
            if name in FILE_SUFFIXES or dotted in NOT_PYTHON:
                continue
            try:
                importlib.import_module(dotted)
                continue
            except ImportError:
                pass
            assert hasattr(importlib.import_module(module), name), f"{doc.name}: `{dotted}` does not exist"


@pytest.mark.parametrize("doc, body", blocks("json", OURS), ids=lambda v: v[:40])
def test_every_json_block_parses(doc, body):
    json.loads(body)  # no `...` for the reader to fill in


@pytest.mark.parametrize("doc, body", blocks("python"), ids=lambda v: v[:40])
def test_every_python_block_compiles(doc, body):
    compile(body, doc, "exec")


def test_the_readmes_inline_watson_payload_scores_as_written(client, credit_model):
    payload = next(json.loads(b) for _, b in blocks("json") if '"fields"' in b and '"LoanDuration"' in b)
    job = wait_job(client, submit(client, {"model": credit_model, "input": payload})["id"])
    assert job["status"] == "completed" and job["result"]["rows"] == 1


def test_the_readme_calls_nothing_in_progress_on_a_branch_that_it_documents_as_working():
    # the Watson ML routes are in the API table and docs/watson.md: the text must not also call them unfinished
    readme = (ROOT / "README.md").read_text()
    assert not re.search(r"in progress on the `?\w+`? branch", readme)
    assert "/ml/v4/deployments" in readme and (ROOT / "docs" / "watson.md").exists()
