"""What Agora's py-libp2p harnesses share: the host they run (ed25519 seed identity, TCP on
127.0.0.1, /noise, /yamux/1.0.0), JSON lines on stdout, and the stdin command loop.

Identity: ed25519 seed = N as 32 little-endian bytes (seed 1 ->
12D3KooWPjceQrSwdWXPyLLeABRXmuqt69Rg3sBYbU1Nft9HyQ6X).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import multiaddr
import trio

from libp2p import new_host
from libp2p.crypto.ed25519 import create_new_key_pair as ed25519_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as x25519_key_pair
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE, Transport as Noise
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX, Yamux

log = logging.getLogger("agora-interop")


def emit(obj: dict[str, Any]) -> None:
    try:
        sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        os._exit(0)


def key_pair(seed: int):
    return ed25519_key_pair(seed.to_bytes(32, "little"))


def make_host(keys: Any, port: int = 0) -> tuple[Any, multiaddr.Multiaddr]:
    """A host offering /noise only and /yamux/1.0.0 only, listening on 127.0.0.1:`port`."""
    listen = multiaddr.Multiaddr(f"/ip4/127.0.0.1/tcp/{port}")
    host = new_host(
        key_pair=keys,
        sec_opt={NOISE: Noise(keys, noise_privkey=x25519_key_pair().private_key)},
        muxer_opt={TProtocol(YAMUX): Yamux},
        listen_addrs=[listen],
    )
    return host, listen


def own_addr(host: Any, listen: multiaddr.Multiaddr) -> str:
    addrs = [str(a) for a in host.get_addrs() if "/tcp/" in str(a)]
    base = addrs[0] if addrs else str(listen)
    suffix = f"/p2p/{host.get_id().to_base58()}"
    return base if base.endswith(suffix) else base + suffix


async def connect(host: Any, addr: str, timeout: float) -> ID:
    info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
    host.get_peerstore().add_addrs(info.peer_id, info.addrs, 3600)
    with trio.fail_after(timeout):
        await host.connect(info)
    return info.peer_id


async def command_loop(do: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]) -> None:
    """Runs one JSON command per stdin line, one at a time, until EOF or {"op":"quit"}; each
    gets one {"event":"result","op":..,"ok":bool,...} line (plus "error" when it failed)."""
    stdin = trio.wrap_file(sys.stdin)
    while True:
        line = await stdin.readline()
        if not line:
            return
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
        except json.JSONDecodeError as e:
            emit({"event": "result", "ok": False, "error": f"bad json: {e}"})
            continue
        out: dict[str, Any] = {"event": "result", "op": cmd.get("op"), "id": cmd.get("id")}
        if cmd.get("op") == "quit":
            emit({**out, "ok": True})
            return
        try:
            out.update(await do(cmd))
            out["ok"] = True
        except BaseException as e:  # trio.TooSlowError is not an Exception subclass in all versions
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            log.exception("command failed")
            out["ok"] = False
            out["error"] = f"{type(e).__name__}: {e}"
        emit(out)


def run(main: Callable[[], Awaitable[None]], log_level: str) -> None:
    """Runs `main` under trio with diagnostics on stderr, then leaves at once: py-libp2p
    leaves background tasks behind on shutdown."""
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, log_level.upper()),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        trio.run(main)
    except KeyboardInterrupt:
        pass
    sys.stdout.flush()
    os._exit(0)
