"""A Docker Cloud client the way python-dockercloud 1.0.x talks: websocket-client and requests.

Not the SDK (its code is not ours to ship), but what it sends, written from protocol.md and the
SDK's documented behaviour, on the two libraries it was built on, as Debian packages them:

- the stream URL is DOCKERCLOUD_STREAM_HOST + "api/audit/v1/events", no trailing slash, no
  namespace unless DOCKERCLOUD_NAMESPACE names one;
- headers "User-Agent: python-dockercloud/1.0.12" and "Authorization: Basic ..." as a list of
  "Key: value" strings, with WebSocketApp.run_forever(ping_interval=10, ping_timeout=5);
- a frame that is not JSON is skipped, {"type": "auth"} is skipped, an error frame saying
  UNAUTHORIZED stops the client;
- lists follow meta.next by asking again with offset = meta.offset + meta.limit and
  limit = meta.limit; an object is read again with a GET of its resource_uri.

Commands (one JSON line per result on stdout; the test reads them):
  stream N [PING_INTERVAL]  print {"open": true}, then each event as received, and exit after N
  list API TYPE             print {"count": ..., "uris": [...], "requests": ...}
  get URI                   print {"status": ..., "body": ...}
"""

import base64
import json
import os
import sys

import requests
import websocket

USER_AGENT = "python-dockercloud/1.0.12"


def out(value):
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def auth_header():
    user = os.environ["DOCKERCLOUD_USER"]
    apikey = os.environ["DOCKERCLOUD_APIKEY"]
    return "Basic " + base64.b64encode(("%s:%s" % (user, apikey)).encode()).decode()


def namespaced(parts):
    namespace = os.environ.get("DOCKERCLOUD_NAMESPACE", "")
    return parts[:3] + [namespace] + parts[3:] if namespace else parts


def stream(count, ping_interval):
    host = os.environ["DOCKERCLOUD_STREAM_HOST"].rstrip("/")
    url = "/".join([host] + namespaced(["api", "audit", "v1", "events"]))
    header = [": ".join(pair) for pair in [("User-Agent", USER_AGENT), ("Authorization", auth_header())]]
    received = []

    def on_open(ws):
        out({"open": True})

    def on_message(ws, message):
        try:
            event = json.loads(message)
        except ValueError:
            return
        if event.get("type") == "error" and event.get("data", {}).get("errorMessage") == "UNAUTHORIZED":
            out({"auth_error": True})
            ws.close()
            return
        if event.get("type") == "auth":
            return
        received.append(event)
        out({"event": event})
        if len(received) >= count:
            ws.close()

    def on_error(ws, error):
        out({"error": "%s: %s" % (type(error).__name__, error)})

    def on_close(ws, *args):
        out({"closed": [str(arg) for arg in args]})

    app = websocket.WebSocketApp(url, header=header, on_open=on_open, on_message=on_message, on_error=on_error, on_close=on_close)
    app.run_forever(ping_interval=ping_interval, ping_timeout=min(5, ping_interval - 0.5))


def list_objects(api, object_type):
    host = os.environ["DOCKERCLOUD_REST_HOST"].rstrip("/")
    path = "/".join(namespaced(["api", api, "v1", object_type])) + "/"
    headers = {"Authorization": auth_header(), "User-Agent": USER_AGENT, "Accept": "application/json"}
    params = {}
    objects = []
    requests_made = 0
    while True:
        answer = requests.get(host + "/" + path, headers=headers, params=params, timeout=10)
        requests_made += 1
        answer.raise_for_status()
        body = answer.json()
        objects.extend(body.get("objects", []))
        meta = body.get("meta", {})
        if not meta.get("next"):
            break
        params["offset"] = meta.get("offset", 0) + meta.get("limit", 0)
        params["limit"] = meta.get("limit", 0)
    out({"count": len(objects), "uris": [o["resource_uri"] for o in objects], "requests": requests_made})


def get(uri):
    host = os.environ["DOCKERCLOUD_REST_HOST"].rstrip("/")
    headers = {"Authorization": auth_header(), "User-Agent": USER_AGENT, "Accept": "application/json"}
    answer = requests.get(host + uri, headers=headers, timeout=10)
    out({"status": answer.status_code, "body": answer.json()})


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "stream":
        stream(int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 10)
    elif command == "list":
        list_objects(sys.argv[2], sys.argv[3])
    elif command == "get":
        get(sys.argv[2])
    else:
        sys.exit("unknown command %r" % command)
