"""`python -m batchsvc.cli`: the same command as `batchsvc`."""

from batchsvc.cli.main import main

main()
