"""A loopback OpenAI-compatible server that misbehaves on purpose, for fault tests.

It is a real HTTP server on 127.0.0.1 (a port the OS picks): the real `openai` client, through
LangChain, talks to it exactly as to OpenAI. `POST /v1/chat/completions` answers a streamed request
(the voice) with server-sent events and a plain one (a judge or grader) with a JSON completion, both
shaped as OpenAI's, unless a fault says otherwise:

| fault | what the client gets |
|---|---|
| `none` | a good reply (a question; a verdict that claims nothing) |
| `timeout` | nothing at all for `hang_s` |
| `rate_limited` | 429 with `Retry-After: 30` |
| `rate_limited_brief` | every other request: 429 with `retry-after-ms: 20`; the retry is answered |
| `server_error` / `unavailable` | 500 / 503 with an OpenAI-style error body |
| `dropped_mid_stream` | the status and the first part of the body, then the connection closes |
| `malformed_json` | 200 with a body (or an event) that is not JSON |
| `truncated_json` | a streamed event cut mid-way; a completion whose verdict is cut mid-way (`length`) |
| `grade_out_of_range` | a verdict with invented ids, a score of 11 and an extra field |
| `grade_invented_quotes` | a verdict claiming every idea with quotes the candidate never wrote |
| `never_ends` | a reply that streams (or trickles) until the client gives up |
| `unauthorized` | 401 whose message repeats the key it was sent (as some servers do) |

`python -m providers.faults --fault timeout --port 8799` serves one from the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Fault(StrEnum):
    none = "none"
    timeout = "timeout"
    rate_limited = "rate_limited"
    rate_limited_brief = "rate_limited_brief"
    server_error = "server_error"
    unavailable = "unavailable"
    dropped_mid_stream = "dropped_mid_stream"
    malformed_json = "malformed_json"
    truncated_json = "truncated_json"
    grade_out_of_range = "grade_out_of_range"
    grade_invented_quotes = "grade_invented_quotes"
    never_ends = "never_ends"
    unauthorized = "unauthorized"


#: the faults that concern a verdict's content: a streamed reply (the voice) is answered well
GRADE_ONLY = {Fault.grade_out_of_range, Fault.grade_invented_quotes}
REPLY = "Which signals would you log at serving time, and how would you keep them in step with training?"
_ENDLESS_HEAD = b'{"id": "f", "object": "chat.completion", "choices": [{"message": {"content": "'
INVENTED = "I would personally guarantee zero leakage with my patented time machine"


class FaultServer:
    """`with FaultServer(Fault.timeout) as server:` then `OPENAI_BASE_URL=server.url`. The fault can
    change while it runs (`server.fault = …`); `requests` holds every request it was sent."""

    def __init__(
        self,
        fault: Fault | str = Fault.none,
        hang_s: float = 30.0,
        port: int = 0,
        token_s: float = 0.002,
        delay_s: float = 0.0,
    ) -> None:
        """`token_s`: the pause between streamed events; `delay_s`: before a good completion (a slow
        grader, for tests that stop a process while it waits)."""
        self.fault, self.hang_s, self.token_s, self.delay_s = Fault(fault), hang_s, token_s, delay_s
        self.requests: list[dict[str, Any]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._counts: dict[Fault, int] = {}
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # releases the handlers that hang or never end
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def count(self, fault: Fault) -> int:
        """How many requests this fault has answered so far, this one included."""
        with self._lock:
            self._counts[fault] = self._counts.get(fault, 0) + 1
            return self._counts[fault]

    def record(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> int:
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            return len(self.requests)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: FaultServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (as it should on a reply that never ends) is no error here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "fault", "object": "model"}]})
        else:
            self._json(404, _error("not found", "not_found"))

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("content-length", 0))
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"unparsed": raw.decode("utf-8", "replace")}
        n = owner.record(self.path, dict(self.headers.items()), body)
        fault = owner.fault
        streamed = bool(body.get("stream"))
        if streamed and fault in GRADE_ONLY:
            fault = Fault.none
        handler = getattr(self, f"_{fault.value}")
        handler(body, streamed, n)

    # ---------------------------------------------------------------- the faults

    def _none(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        if streamed:
            self._events([*map(_chunk, _words(REPLY)), _chunk(None, finish="stop"), "[DONE]"])
        else:
            self.server.owner.stopping.wait(self.server.owner.delay_s)
            self._completion(json.dumps({"met": [], "misconceptions": []}))

    def _timeout(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        self.server.owner.stopping.wait(self.server.owner.hang_s)
        self.close_connection = True

    def _rate_limited(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        error = _error("Rate limit reached; try again in 30s.", "rate_limit_exceeded")
        self._json(429, error, {"Retry-After": "30"})

    def _rate_limited_brief(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        if self.server.owner.count(Fault.rate_limited_brief) % 2:
            headers = {"Retry-After": "1", "retry-after-ms": "20"}
            self._json(429, _error("Rate limit reached.", "rate_limit_exceeded"), headers)
        else:
            self._none(body, streamed, n)

    def _server_error(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        self._json(500, _error("The server had an error while processing your request.", "server_error"))

    def _unavailable(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        self._json(503, _error("The engine is currently overloaded.", "overloaded"))

    def _dropped_mid_stream(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        if streamed:
            self._start_chunked("text/event-stream")
            for event in list(map(_chunk, _words(REPLY)))[:4]:
                self._write_chunk(f"data: {event}\n\n".encode())
        else:
            payload = json.dumps(_completion(json.dumps({"met": [], "misconceptions": []}))).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
        self._hang_up()

    def _malformed_json(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        if streamed:
            self._events([_chunk("Which "), "{this is not json", "[DONE]"])
        else:
            self._raw(200, b"<html>upstream proxy error: {not json</html>", "application/json")

    def _truncated_json(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        if streamed:
            self._start_chunked("text/event-stream")
            self._write_chunk(f"data: {_chunk('Which ')}\n\n".encode())
            self._write_chunk(f"data: {_chunk('signals would you')[:40]}".encode())
            self._end_chunked()
        else:
            verdict = json.dumps({"met": [{"id": i, "quote": INVENTED} for i in _ids(body, "met")]})
            self._completion(verdict[: max(len(verdict) // 2, 12)], finish="length")

    def _grade_out_of_range(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        verdict = {
            "met": [{"id": "idea_that_does_not_exist", "quote": "split by time"}],
            "misconceptions": [{"id": "made_up", "quote": "random split"}],
            "score": 11,
            "recommendation": "strong_hire",
        }
        self._completion(json.dumps(verdict))

    def _grade_invented_quotes(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        met = [{"id": i, "quote": f"{INVENTED} ({i})"} for i in _ids(body, "met")]
        self._completion(json.dumps({"met": met, "misconceptions": []}))

    def _never_ends(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        stopping = self.server.owner.stopping
        self._start_chunked("text/event-stream" if streamed else "application/json")
        if not streamed:
            self._write_chunk(_ENDLESS_HEAD)
        count = 0
        try:
            while not stopping.is_set():
                count += 1
                piece = f"data: {_chunk(f'and {count} ')}\n\n" if streamed else f"and {count} "
                self._write_chunk(piece.encode())
                stopping.wait(self.server.owner.token_s)
        except OSError:
            return  # the client gave up, as it should
        self._hang_up()

    def _unauthorized(self, body: dict[str, Any], streamed: bool, n: int) -> None:
        key = self.headers.get("authorization", "").removeprefix("Bearer ")
        message = f"Incorrect API key provided: {key}. You can find your API key at your account page."
        self._json(401, _error(message, "invalid_api_key"))

    # ---------------------------------------------------------------- writing

    def _json(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._raw(status, json.dumps(data).encode(), "application/json", headers)

    def _raw(self, status: int, payload: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _completion(self, content: str, finish: str = "stop") -> None:
        self._json(200, _completion(content, finish))

    def _events(self, events: list[str]) -> None:
        self._start_chunked("text/event-stream")
        for n, event in enumerate(events):
            if n:
                time.sleep(self.server.owner.token_s)
            self._write_chunk(f"data: {event}\n\n".encode())
        self._end_chunked()

    def _start_chunked(self, kind: str) -> None:
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _hang_up(self) -> None:
        """Close the connection without finishing the body: the client sees it dropped."""
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(2)


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": code, "param": None, "code": code}}


def _words(text: str) -> Iterator[str]:
    return (w + " " for w in text.split())


def _chunk(text: str | None, finish: str | None = None) -> str:
    delta = {"role": "assistant", "content": text} if text else {}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return json.dumps(
        {"id": "f", "object": "chat.completion.chunk", "created": 0, "model": "fault", "choices": [choice]}
    )


def _completion(content: str, finish: str = "stop") -> dict[str, Any]:
    message = {"role": "assistant", "content": content}
    return {
        "id": "f",
        "object": "chat.completion",
        "created": 0,
        "model": "fault",
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
    }


def _ids(body: dict[str, Any], field: str) -> list[str]:
    """The ids the request's JSON schema allows for `field` (OpenAI's json_schema or llama.cpp's)."""
    fmt = body.get("response_format") or {}
    schema = fmt.get("json_schema", {}).get("schema") or fmt.get("schema") or {}
    try:
        return list(schema["properties"][field]["items"]["properties"]["id"]["enum"])
    except (KeyError, TypeError):
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description="An OpenAI-compatible server that misbehaves on purpose.")
    parser.add_argument("--fault", choices=[f.value for f in Fault], default=Fault.none.value)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with FaultServer(args.fault, port=args.port) as server:
        print(f"{server.url} ({server.fault.value}); Ctrl+C stops it.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
