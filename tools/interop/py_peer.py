#!/usr/bin/env python3
"""py-libp2p 0.8.1 peer that Agora's interop tests drive over stdin/stdout.

    python py_peer.py --seed N [--port P]

Stack: TCP on 127.0.0.1, /noise only, /yamux/1.0.0 only, the host's default
identify (+ push) and ping handlers. Identity: ed25519 seed = N as 32
little-endian bytes (seed 1 -> 12D3KooWPjceQrSwdWXPyLLeABRXmuqt69Rg3sBYbU1Nft9HyQ6X).

stdout: one JSON object per line. The first is
    {"event":"ready","peer_id":...,"addr":"/ip4/127.0.0.1/tcp/P/p2p/<id>"}
then one {"event":"result","op":...,"id":...,"ok":bool,...} per command.
stdin: one JSON command per line, run one at a time:
    {"op":"connect","addr":MULTIADDR}          -> peer_id
    {"op":"ping","peer":PEER_ID,"count":N}     -> rtts_ms (py-libp2p rounds to whole ms)
    {"op":"identify","peer":PEER_ID}           -> what the remote's /ipfs/id/1.0.0 answered:
        peer_id (derived from its public key), agent_version, protocol_version,
        protocols, listen_addrs, observed_addr; plus peerstore_protocols, the
        protocols py-libp2p's own background identify stored
    {"op":"peers"}                             -> connected
    {"op":"quit"}                              -> exits 0 (EOF does the same)
Diagnostics go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from typing import Any

import multiaddr
import trio

from libp2p import new_host
from libp2p.crypto.ed25519 import create_new_key_pair as ed25519_key_pair
from libp2p.crypto.serialization import deserialize_public_key
from libp2p.crypto.x25519 import create_new_key_pair as x25519_key_pair
from libp2p.custom_types import TProtocol
from libp2p.host.ping import PingService
from libp2p.identity.identify.identify import ID as IDENTIFY_PROTOCOL
from libp2p.identity.identify.pb.identify_pb2 import Identify
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE, Transport as Noise
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX, Yamux
from libp2p.utils.varint import read_length_prefixed_protobuf

log = logging.getLogger("agora-interop")


def emit(obj: dict[str, Any]) -> None:
    try:
        sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        os._exit(0)


def addr_text(raw: bytes) -> str:
    try:
        return str(multiaddr.Multiaddr(raw))
    except Exception:
        return "hex:" + raw.hex()


class Peer:
    def __init__(self, seed: int, port: int) -> None:
        key_pair = ed25519_key_pair(seed.to_bytes(32, "little"))
        self.listen = multiaddr.Multiaddr(f"/ip4/127.0.0.1/tcp/{port}")
        self.host = new_host(
            key_pair=key_pair,
            sec_opt={NOISE: Noise(key_pair, noise_privkey=x25519_key_pair().private_key)},
            muxer_opt={TProtocol(YAMUX): Yamux},
            listen_addrs=[self.listen],
        )

    def own_addr(self) -> str:
        addrs = [a for a in self.host.get_addrs() if "/tcp/" in str(a)]
        base = str(addrs[0]) if addrs else str(self.listen)
        suffix = f"/p2p/{self.host.get_id().to_base58()}"
        return base if base.endswith(suffix) else base + suffix

    async def identify(self, peer: ID) -> dict[str, Any]:
        stream = await self.host.new_stream(peer, [IDENTIFY_PROTOCOL])
        try:
            with trio.fail_after(10):
                raw = await read_length_prefixed_protobuf(stream, use_varint_format=True)
        finally:
            await stream.close()
        msg = Identify()
        msg.ParseFromString(raw)
        derived = ID.from_pubkey(deserialize_public_key(msg.public_key))
        stored = self.host.get_peerstore().get_protocols(peer) or []
        return {
            "peer_id": derived.to_base58(),
            "agent_version": msg.agent_version,
            "protocol_version": msg.protocol_version,
            "protocols": list(msg.protocols),
            "listen_addrs": [addr_text(a) for a in msg.listen_addrs],
            "observed_addr": addr_text(msg.observed_addr) if msg.observed_addr else None,
            "peerstore_protocols": sorted(str(p) for p in stored),
        }

    async def do(self, cmd: dict[str, Any]) -> dict[str, Any]:
        op = cmd.get("op")
        if op == "connect":
            info = info_from_p2p_addr(multiaddr.Multiaddr(cmd["addr"]))
            self.host.get_peerstore().add_addrs(info.peer_id, info.addrs, 3600)
            with trio.fail_after(float(cmd.get("timeout", 15))):
                await self.host.connect(info)
            return {"peer_id": info.peer_id.to_base58()}
        if op == "ping":
            peer = ID.from_base58(cmd["peer"])
            with trio.fail_after(float(cmd.get("timeout", 15))):
                rtts = await PingService(self.host).ping(peer, int(cmd.get("count", 1)))
            return {"rtts_ms": rtts}
        if op == "identify":
            return await self.identify(ID.from_base58(cmd["peer"]))
        if op == "peers":
            return {"connected": [p.to_base58() for p in self.host.get_connected_peers()]}
        raise ValueError(f"unknown op {op!r}")

    async def commands(self) -> None:
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
            started = time.monotonic()
            try:
                out.update(await self.do(cmd))
                out["ok"] = True
            except BaseException as e:  # trio.TooSlowError is not an Exception subclass in all versions
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                log.exception("command failed")
                out["ok"] = False
                out["error"] = f"{type(e).__name__}: {e}"
            out["elapsed_ms"] = round((time.monotonic() - started) * 1000, 1)
            emit(out)

    async def main(self) -> None:
        async with self.host.run(listen_addrs=[self.listen]):
            emit({"event": "ready", "peer_id": self.host.get_id().to_base58(),
                  "addr": self.own_addr(), "pid": os.getpid()})
            await self.commands()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--log-level", default="ERROR")
    args = ap.parse_args()
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, args.log_level.upper()),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        trio.run(Peer(args.seed, args.port).main)
    except KeyboardInterrupt:
        pass
    sys.stdout.flush()
    # py-libp2p leaves background tasks behind on shutdown; leave without waiting for them.
    os._exit(0)


if __name__ == "__main__":
    main()
