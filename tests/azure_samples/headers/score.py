# run() may ask for the request's headers by naming a parameter request_headers.
def init():
    pass


def run(raw_data, request_headers):
    return {"body": raw_data, "tenant": request_headers.get("X-Tenant"),
            "content_type": request_headers.get("Content-Type")}
