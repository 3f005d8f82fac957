"""The self-verifying state of the burst and kill scenarios (mirror of burst-state.mjs)."""


def burst_state(seq: int, writer: str = "python") -> dict:
    return {"seq": seq, "writer": writer, "body": [seq] * 16}


def is_whole_burst_state(state: object) -> bool:
    if not isinstance(state, dict):
        return False
    if state.get("seq") == 0:  # the tests' initial state
        return True
    body = state.get("body")
    return isinstance(body, list) and len(body) == 16 and all(x == state["seq"] for x in body)
