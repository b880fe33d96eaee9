"""Score a file and save the predictions: the polling loop of a nightly script, with batchsvc.client.

    BATCHSVC_API_URL=http://127.0.0.1:8000 python scripts/poll_example.py \
        credit-risk@production sample_data/credit_risk.parquet scores.parquet

It replaces the seed-style loop (and its up-to-5-s lag, and its error handling):

    job = requests.post(f"{url}/v1/jobs", json=body).json()
    while job["status"] not in ("completed", "failed", "canceled"):
        time.sleep(5)
        job = requests.get(f"{url}/v1/jobs/{job['id']}").json()
"""

import sys

from batchsvc.client.client import Client, ClientError

if len(sys.argv) != 4:
    sys.exit(f"usage: python {sys.argv[0]} MODEL INPUT_PATH OUTPUT_FILE\n"
             "  e.g. credit-risk@production sample_data/credit_risk.parquet scores.parquet "
             "(BATCHSVC_API_URL, BATCHSVC_API_KEY as for the CLI)")
model, path, out = sys.argv[1:4]
with Client() as client:  # BATCHSVC_API_URL, BATCHSVC_API_KEY
    try:
        job = client.submit(model, path=path).wait()  # a long poll: returns the moment the job ends
        client.results(job.id, out)  # streamed to disk, never whole in memory
    except ClientError as exc:  # JobFailed, JobCanceled, CannotReach, or the server's 4xx
        sys.exit(f"batchsvc: {exc}")
print(f"{job.result['rows']} rows scored -> {out}")
