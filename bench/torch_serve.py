"""The --serve line protocol shared by bench/engine_torch.py and bench/model_torch.py (the client is
bench/torch-process.ts): one JSON object per line each way.

The first line written is {"ready":true,"torch":"<version>"}. Requests:
  {"cmd":"threads","n":N}                  -> {"ok":true,"threads":N}
  {"cmd":"setup","id":ID,"case":{...}}     -> {"ok":true[,"params":P]}   (id optional)
  {"cmd":"run","id":ID,"samples":S,"inner":I} -> {"ok":true,"ms":[...],"minflt":F}
  {"cmd":"teardown"[,"id":ID]}             -> {"ok":true}   (no id: every case)
  {"cmd":"exit"}
Errors answer {"ok":false,"error":"..."} and the loop goes on.
"""
import json
import resource
import sys


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(torch, make_case):
    """Answers requests on stdin until exit; make_case(spec) builds an object with run(inner) -> ms."""
    emit({"ready": True, "torch": torch.__version__})
    cases = {}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "threads":
                torch.set_num_threads(int(req["n"]))
                emit({"ok": True, "threads": torch.get_num_threads()})
            elif cmd == "setup":
                cases.pop(req.get("id"), None)  # free the old case before building the new one
                case = make_case(req["case"])
                cases[req.get("id")] = case
                reply = {"ok": True}
                if hasattr(case, "params"):
                    reply["params"] = case.params
                emit(reply)
            elif cmd == "run":
                case = cases[req.get("id")]
                inner = int(req.get("inner", 1))
                f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                ms = [case.run(inner) for _ in range(int(req["samples"]))]
                faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
                emit({"ok": True, "ms": ms, "minflt": faults})
            elif cmd == "teardown":
                if "id" in req:
                    cases.pop(req["id"], None)
                else:
                    cases.clear()
                emit({"ok": True})
            elif cmd == "exit":
                break
            else:
                emit({"ok": False, "error": f"unknown cmd {cmd!r}"})
        except Exception as e:
            emit({"ok": False, "error": f"{type(e).__name__}: {e}"})
