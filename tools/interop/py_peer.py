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
import os
from typing import Any

import multiaddr
import trio

from harness import command_loop, connect, emit, key_pair, make_host, own_addr, run
from libp2p.crypto.serialization import deserialize_public_key
from libp2p.host.ping import PingService
from libp2p.identity.identify.identify import ID as IDENTIFY_PROTOCOL
from libp2p.identity.identify.pb.identify_pb2 import Identify
from libp2p.peer.id import ID
from libp2p.utils.varint import read_length_prefixed_protobuf


def addr_text(raw: bytes) -> str:
    try:
        return str(multiaddr.Multiaddr(raw))
    except Exception:
        return "hex:" + raw.hex()


class Peer:
    def __init__(self, seed: int, port: int) -> None:
        self.host, self.listen = make_host(key_pair(seed), port)

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
            peer = await connect(self.host, cmd["addr"], float(cmd.get("timeout", 15)))
            return {"peer_id": peer.to_base58()}
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

    async def main(self) -> None:
        async with self.host.run(listen_addrs=[self.listen]):
            emit({"event": "ready", "peer_id": self.host.get_id().to_base58(),
                  "addr": own_addr(self.host, self.listen), "pid": os.getpid()})
            await command_loop(self.do)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--log-level", default="ERROR")
    args = ap.parse_args()
    run(Peer(args.seed, args.port).main, args.log_level)


if __name__ == "__main__":
    main()
