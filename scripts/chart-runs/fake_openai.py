#!/usr/bin/env python3
"""A small OpenAI-compatible server standing in for vLLM in the chart-runs tier (no GPU, no model).

Takes vLLM's command line (`vllm serve MODEL` or the api_server module's flags) and ignores what it
does not need: --model, --served-model-name, --port, --host (default: $PODRUN_POD_IP, else 0.0.0.0),
--api-key. Serves:
  GET  /health, /ping              200
  GET  /v1/models                  the served model names
  POST /v1/chat/completions        a deterministic answer that echoes the last user message
                                   ("fake-vllm says: ..."), streamed (SSE) when "stream": true
  POST /v1/completions             the same for a prompt
  POST /v1/embeddings              deterministic unit vectors (--embedding-dim, default 8), one per input
  GET  /podrun/stats               how many requests each path served (the tier's cache check)
Standard library only; loopback traffic only in the tier (a network namespace of its own).
"""
import argparse
import hashlib
import json
import math
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATS = {}
LOCK = threading.Lock()


def parse(argv):
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("positional", nargs="*")
    ap.add_argument("--model", default=None)
    ap.add_argument("--served-model-name", nargs="+", default=None)
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--host", default=None)
    ap.add_argument("--api-key", default=None)
    ap.add_argument("--embedding-dim", type=int, default=8)
    a, _ = ap.parse_known_args(argv)
    pos = [p for p in a.positional if p != "serve"]
    model = a.model or (pos[0] if pos else "fake-model")
    a.names = a.served_model_name or [model]
    a.host = a.host or os.environ.get("PODRUN_POD_IP") or "0.0.0.0"
    return a


def embedding(text, dim):
    h = hashlib.sha256(text.encode()).digest()
    v = [(h[i % len(h)] - 127.5) for i in range(dim)]
    n = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / n for x in v]


def make_handler(cfg):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            sys.stderr.write("fake-vllm: " + (fmt % args) + "\n")

        def _send(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _count(self):
            with LOCK:
                STATS[self.path] = STATS.get(self.path, 0) + 1

        def _auth(self):
            if cfg.api_key and self.headers.get("Authorization") != f"Bearer {cfg.api_key}":
                self._send(401, {"error": {"message": "invalid api key"}})
                return False
            return True

        def do_GET(self):
            path = self.path.split("?")[0]
            if path in ("/health", "/ping"):
                self._count()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/v1/models":
                self._count()
                if self._auth():
                    self._send(200, {"object": "list", "data": [
                        {"id": n, "object": "model", "created": 0, "owned_by": "fake-vllm"} for n in cfg.names]})
            elif path == "/podrun/stats":
                with LOCK:
                    self._send(200, dict(STATS))
            else:
                self._send(404, {"error": {"message": f"no route {path}"}})

        def do_POST(self):
            path = self.path.split("?")[0]
            n = int(self.headers.get("Content-Length") or 0)
            try:
                req = json.loads(self.rfile.read(n) or b"{}")
            except ValueError:
                return self._send(400, {"error": {"message": "bad JSON"}})
            self._count()
            if not self._auth():
                return
            model = req.get("model") or cfg.names[0]
            if model not in cfg.names:
                return self._send(404, {"error": {"message": f"The model `{model}` does not exist.",
                                                  "type": "NotFoundError", "code": 404}})
            now = int(time.time())
            if path == "/v1/chat/completions":
                msgs = req.get("messages") or []
                last = next((m.get("content") for m in reversed(msgs) if m.get("role") == "user"), "")
                if isinstance(last, list):
                    last = " ".join(p.get("text", "") for p in last if isinstance(p, dict))
                text = f"fake-vllm says: {last}"
                usage = {"prompt_tokens": len(str(msgs).split()), "completion_tokens": len(text.split()),
                         "total_tokens": len(str(msgs).split()) + len(text.split())}
                if req.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()

                    def chunk(obj):
                        data = f"data: {json.dumps(obj) if not isinstance(obj, str) else obj}\n\n".encode()
                        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": now, "model": model}
                    chunk({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None}]})
                    chunk({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage})
                    chunk("[DONE]")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                return self._send(200, {"id": "chatcmpl-fake", "object": "chat.completion", "created": now,
                                        "model": model, "usage": usage, "choices": [
                                            {"index": 0, "finish_reason": "stop",
                                             "message": {"role": "assistant", "content": text}}]})
            if path == "/v1/completions":
                text = f"fake-vllm says: {req.get('prompt', '')}"
                return self._send(200, {"id": "cmpl-fake", "object": "text_completion", "created": now, "model": model,
                                        "choices": [{"index": 0, "text": text, "finish_reason": "stop"}],
                                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
            if path == "/v1/embeddings":
                inp = req.get("input")
                items = inp if isinstance(inp, list) else [inp]
                dim = int(req.get("dimensions") or cfg.embedding_dim)
                return self._send(200, {"object": "list", "model": model, "data": [
                    {"object": "embedding", "index": i, "embedding": embedding(str(t), dim)} for i, t in enumerate(items)],
                    "usage": {"prompt_tokens": len(items), "total_tokens": len(items)}})
            self._send(404, {"error": {"message": f"no route {path}"}})
    return H


def main():
    cfg = parse(sys.argv[1:])
    srv = ThreadingHTTPServer((cfg.host, cfg.port), make_handler(cfg))
    print(f"fake-vllm: serving {', '.join(cfg.names)} on {cfg.host}:{cfg.port}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
