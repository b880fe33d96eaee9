# A raw-HTTP entry script in the style of the Azure ML documentation's "Binary data" example (advanced entry
# scripts): run() is decorated with @rawhttp, gets Flask's request and answers an AMLResponse. It imports Azure's
# names as Azure's scripts do. Each branch shows one behaviour of azmlinfsrv.
import json

from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse


def init():
    print("This is init()")


@rawhttp
def run(request):
    print("This is run()")
    if request.method == 'GET':
        if request.args.get("fail"):
            raise ValueError("asked to fail")
        if request.args.get("plain"):
            # a plain value is sent as JSON, as for an undecorated run
            return {"args": request.args.to_dict(flat=False), "path": request.full_path}
        # For this example, just return the URL for GETs.
        resp = AMLResponse(str.encode(request.full_path), 200)
        resp.headers['Access-Control-Allow-Origin'] = "http://www.example.com"
        return resp
    elif request.method == 'POST':
        reqBody = request.get_data(False)
        if reqBody == b"fail":
            raise RuntimeError("the body asked run() to raise")
        if reqBody == b"unavailable":
            return AMLResponse("try again later", 503)
        if request.headers.get("Content-Type", "").startswith("application/json"):
            return AMLResponse({"received": json.loads(reqBody), "tenant": request.headers.get("X-Tenant")}, 201,
                               json_str=True)
        # echo the bytes with a content type and a header given twice (comma-separated, as AMLResponse splits it)
        return AMLResponse(reqBody, 200, {"Content-Type": "application/octet-stream",
                                          "X-Tenant": request.headers.get("X-Tenant", "none"),
                                          "Vary": "Accept, X-Tenant"})
    else:
        return AMLResponse("bad request", 500)
