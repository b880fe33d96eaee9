"""What a registration uploads: a model file as it is, or a code model's folder zipped in memory."""

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def open_upload(path: str | Path) -> Iterator[tuple[str, BinaryIO]]:
    """(file name, readable body): a folder (score.py, batchsvc.yaml, its files) becomes model.zip."""
    path = Path(path)
    if not path.is_dir():
        with open(path, "rb") as f:
            yield path.name, f
        return
    yield "model.zip", io.BytesIO(zip_folder(path))


def zip_folder(folder: Path) -> bytes:
    """Every file under the folder, named relative to it (caches left out)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for item in sorted(folder.rglob("*")):
            if item.is_file() and "__pycache__" not in item.parts:
                z.write(item, item.relative_to(folder).as_posix())
    return buffer.getvalue()
