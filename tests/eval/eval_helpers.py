"""An OpenAI-compatible server that knows the micro answers (a uniquely named helper module)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class OracleServer:
    """OpenAI-compatible server that knows the answers: for the prompt of problem j, samples i < right[j] are
    correct (``\\boxed{answer}``), the others wrong. It can refuse every request after ``fail_after``."""

    def __init__(self, answers: dict[str, str], right: dict[str, int], fail_after: int | None = None):
        self.answers, self.right, self.fail_after, self.calls = answers, right, fail_after, []
        server = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._send(200, {"data": [{"id": "oracle"}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.calls.append(body)
                if server.fail_after is not None and len(server.calls) > server.fail_after:
                    return self._send(400, {"error": "gone"})
                q = body["messages"][-1]["content"]
                ans, r = server.answers[q], server.right[q]
                # seeded noise in the wrong answers: resumed runs must ask with the same seeds
                texts = [f"so \\boxed{{{ans}}}" if i < r else f"so \\boxed{{{body['seed']}{i}x}}" for i in range(body["n"])]
                self._send(200, {"choices": [{"index": i, "message": {"content": t}} for i, t in enumerate(texts)]})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
