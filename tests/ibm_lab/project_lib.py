"""A stand-in for Watson Studio's project_lib (not on PyPI): the notebook's Project.access().get_file(name) reads
the project's files; here they are the lab's CSV files in this folder. Written for batchsvc's tests."""

from pathlib import Path


class Project:
    @classmethod
    def access(cls) -> "Project":
        return cls()

    def get_file(self, name: str):
        """The file as a binary stream, as project_lib returns it (pandas reads it)."""
        return open(Path(__file__).parent / name, "rb")
