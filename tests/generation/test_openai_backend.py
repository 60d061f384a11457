"""The OpenAI-compatible backend against a real local HTTP server started in the test."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.errors import UserError
from harness.generation import Sampling, get_generator


class FakeServer:
    """Echo server: the completion is '<last user message>|<seed>|<i>'; can fail, stall or ignore n.

    ``gather=k``: a request is held until k requests are in flight together (or 10 s pass), so a test of the
    client's concurrency does not depend on how fast this machine schedules threads."""

    def __init__(self, fail_first=0, ignore_n=False, delay=0.0, status=503, gather=0):
        self.fail_left, self.ignore_n, self.delay, self.status = fail_first, ignore_n, delay, status
        self.gather, self.gathered = gather, 0
        self.requests, self.in_flight, self.max_in_flight = [], 0, 0
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._send(200, {"data": [{"id": "tiny-served"}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append(body)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    fail = server.fail_left > 0
                    server.fail_left -= fail
                    server.changed.notify_all()
                    if server.gather and server.changed.wait_for(lambda: server.in_flight >= server.gather, 10):
                        server.gathered += 1
                time.sleep(server.delay)
                with server.lock:  # leave before answering: the client may send its next request at once
                    server.in_flight -= 1
                if fail:
                    return self._send(server.status, {"error": "busy"})
                n = 1 if server.ignore_n else body["n"]
                text = body["messages"][-1]["content"]
                choices = [{"index": i, "message": {"role": "assistant", "content": f"{text}|{body['seed']}|{i} STOP tail"}}
                           for i in range(n)]
                self._send(200, {"model": body["model"], "choices": choices})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(request):
    s = FakeServer(**getattr(request, "param", {}))
    yield s
    s.close()


PROMPTS = [[{"role": "user", "content": f"q{i}"}] for i in range(6)]
PARAMS = Sampling(temperature=1.0, top_p=0.7, max_new_tokens=8, stop=(" STOP",))


def test_generates_n_per_prompt_in_order_with_settings(server):
    g = get_generator("openai", server.url, concurrency=3, backoff_s=0.01)
    out = g.generate(PROMPTS, 2, PARAMS, seed=0)
    assert [[t.split("|")[0] for t in x] for x in out] == [[f"q{i}"] * 2 for i in range(6)]
    assert all(t.endswith(("|0", "|1")) for x in out for t in x)  # cut at the stop string
    body = server.requests[0]
    assert body["model"] == "tiny-served" and body["top_p"] == 0.7 and body["max_tokens"] == 8
    assert body["stop"] == [" STOP"]
    assert len({r["seed"] for r in server.requests}) == 6  # a seed per request


@pytest.mark.parametrize("server", [{"gather": 3, "delay": 0.05}], indirect=True)
def test_concurrency_is_bounded_and_used(server):
    g = get_generator("openai", server.url + "/v1", concurrency=3)
    g.generate(PROMPTS, 1, PARAMS, seed=0)
    # the server holds each request until three are in flight: every request met two others (concurrency used) ...
    assert server.gathered == len(PROMPTS), server.gathered
    assert server.max_in_flight == 3  # ... and never a fourth (bounded)


@pytest.mark.parametrize("server", [{"fail_first": 2}], indirect=True)
def test_retries_transient_errors(server):
    g = get_generator("openai", server.url, served_model="m", concurrency=1, retries=3, backoff_s=0.01)
    assert g.generate(PROMPTS[:1], 1, PARAMS, seed=0)[0][0].startswith("q0|")
    assert len(server.requests) == 3


@pytest.mark.parametrize("server", [{"fail_first": 99}], indirect=True)
def test_gives_up_with_one_clear_error(server):
    g = get_generator("openai", server.url, served_model="m", retries=1, backoff_s=0.01)
    with pytest.raises(UserError, match="giving up after 2 attempts .*HTTP 503"):
        g.generate(PROMPTS[:1], 1, PARAMS, seed=0)


@pytest.mark.parametrize("server", [{"fail_first": 99, "status": 400}], indirect=True)
def test_client_errors_are_not_retried(server):
    g = get_generator("openai", server.url, served_model="m", retries=3, backoff_s=0.01)
    with pytest.raises(UserError, match="HTTP 400"):
        g.generate(PROMPTS[:1], 1, PARAMS, seed=0)
    assert len(server.requests) == 1


@pytest.mark.parametrize("server", [{"delay": 1.0}], indirect=True)
def test_timeout(server):
    g = get_generator("openai", server.url, served_model="m", retries=0, timeout_s=0.2)
    with pytest.raises(UserError, match="ReadTimeout"):
        g.generate(PROMPTS[:1], 1, PARAMS, seed=0)


@pytest.mark.parametrize("server", [{"ignore_n": True}], indirect=True)
def test_server_that_ignores_n_is_asked_again(server):
    g = get_generator("openai", server.url, served_model="m")
    out = g.generate(PROMPTS[:2], 3, PARAMS, seed=0)
    assert [len(x) for x in out] == [3, 3] and len(server.requests) == 6
    assert len(set(out[0])) == 3


def test_unknown_backend_and_mismatch():
    with pytest.raises(UserError, match="did you mean 'vllm'"):
        get_generator("vlm", "/tmp/x")
    with pytest.raises(UserError, match="need --backend openai"):
        get_generator("transformers", "http://127.0.0.1:1")
    with pytest.raises(UserError, match="not a directory"):
        get_generator("transformers", "/nonexistent/model")
