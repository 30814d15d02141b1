#!/usr/bin/env python3
"""py-libp2p 0.8.1 Kademlia peer that Agora's DHT interop tests drive over stdin/stdout.

    python py_kad_peer.py --seed N

Stack: TCP on 127.0.0.1 (free port), /noise, /yamux/1.0.0, identify + ping, and the
library's own KadDHT (/ipfs/kad/1.0.0, SERVER mode) unpatched: this peer keeps every
py-libp2p behaviour, so what passes here passes against stock py-libp2p. Identity:
ed25519 seed = N as 32 little-endian bytes.

Records under /agora-feed-head/ get a validator that accepts any value (this peer is the
one that puts bad records; Agora is the judge) and selects the highest feed sequence
(bytes 33..41 big-endian of Agora's 137-byte head), so py-libp2p can put and get them.

stdout: one JSON object per line. First
    {"event":"ready","peer_id":...,"addr":"/ip4/127.0.0.1/tcp/P/p2p/<id>"}
then one {"event":"result","op":...,"ok":bool,...} per command.
stdin: one JSON command per line, run one at a time. Keys and values are hex.
    {"op":"connect","addr":MULTIADDR}            -> peer_id (also added to the routing table)
    {"op":"find_peer","peer":PEER_ID}            -> found, addrs  (local table, then FIND_NODE lookup)
    {"op":"closest","key_hex":HEX}               -> peers (iterative FIND_NODE over the network)
    {"op":"routing_table"}                       -> peers
    {"op":"provide","key_hex":HEX}               -> announced (ADD_PROVIDER to the closest peers)
    {"op":"find_providers","key_hex":HEX,"count":N}
                                                 -> providers [{peer_id, addrs}] (local records
                                                    dropped first: the answer comes over the wire)
    {"op":"put","key":TEXT,"value_hex":HEX}      -> (PUT_VALUE to the closest peers, via lookup)
    {"op":"put_to","peer":PEER_ID,"key":TEXT,"value_hex":HEX}
                                                 -> stored (the peer acknowledged one PUT_VALUE)
    {"op":"get","key":TEXT}                      -> found, value_hex (GET_VALUE lookup, no local copy)
    {"op":"get_from","peer":PEER_ID,"key":TEXT}  -> found, value_hex (one GET_VALUE)
    {"op":"quit"}
Diagnostics go to stderr.
"""

from __future__ import annotations

import argparse
from typing import Any

import trio

from harness import command_loop, connect, emit, key_pair, make_host, own_addr, run
from libp2p.kad_dht.kad_dht import KadDHT, DHTMode
from libp2p.peer.id import ID
from libp2p.records.validator import Validator
from libp2p.tools.anyio_service import background_trio_service


class FeedHeadSelector(Validator):
    """Accepts anything; prefers the highest sequence number."""

    def validate(self, key: str, value: bytes) -> None:
        pass

    def select(self, key: str, values: list[bytes]) -> int:
        def seq(value: bytes) -> int:
            return int.from_bytes(value[33:41], "big") if len(value) >= 41 else -1

        return max(range(len(values)), key=lambda i: seq(values[i]))


class Peer:
    def __init__(self, seed: int) -> None:
        self.host, self.listen = make_host(key_pair(seed))
        self.dht = KadDHT(self.host, DHTMode.SERVER)
        self.dht.register_validator("agora-feed-head", FeedHeadSelector())

    async def do(self, cmd: dict[str, Any]) -> dict[str, Any]:
        op = cmd.get("op")
        if op == "connect":
            peer = await connect(self.host, cmd["addr"], 30)
            # py-libp2p enters only peers that open a kad stream to it; add this one.
            await self.dht.add_peer(peer, skip_server_mode_check=True)
            return {"peer_id": peer.to_base58()}
        if op == "find_peer":
            with trio.fail_after(60):
                info = await self.dht.find_peer(ID.from_base58(cmd["peer"]))
            return {"found": info is not None, "addrs": [str(a) for a in info.addrs] if info else []}
        if op == "closest":
            with trio.fail_after(60):
                peers = await self.dht.peer_routing.find_closest_peers_network(bytes.fromhex(cmd["key_hex"]))
            return {"peers": [p.to_base58() for p in peers]}
        if op == "routing_table":
            return {"peers": [p.to_base58() for p in self.dht.routing_table.get_peer_ids()]}
        if op == "provide":
            with trio.fail_after(60):
                announced = await self.dht.provider_store.provide(bytes.fromhex(cmd["key_hex"]))
            return {"announced": announced}
        if op == "find_providers":
            key = bytes.fromhex(cmd["key_hex"])
            self.dht.provider_store.providers.pop(key, None)
            with trio.fail_after(60):
                found = await self.dht.provider_store.find_providers(key, int(cmd.get("count", 20)))
            merged: dict[str, set[str]] = {}
            for info in found:  # one entry per answering peer: merge duplicates
                merged.setdefault(info.peer_id.to_base58(), set()).update(str(a) for a in info.addrs)
            return {"providers": [{"peer_id": p, "addrs": sorted(a)} for p, a in merged.items()]}
        if op == "put":
            with trio.fail_after(60):
                await self.dht.put_value(cmd["key"], bytes.fromhex(cmd["value_hex"]))
            return {}
        if op == "put_to":
            with trio.fail_after(30):
                stored = await self.dht.value_store._store_at_peer(
                    ID.from_base58(cmd["peer"]), cmd["key"].encode("utf-8"), bytes.fromhex(cmd["value_hex"])
                )
            return {"stored": bool(stored)}
        if op == "get":
            key = cmd["key"]
            self.dht.value_store.remove(key.encode("utf-8"))
            with trio.fail_after(60):
                value = await self.dht.get_value(key)
            return {"found": value is not None, "value_hex": value.hex() if value else None}
        if op == "get_from":
            with trio.fail_after(30):
                value = await self.dht.value_store._get_from_peer(ID.from_base58(cmd["peer"]), cmd["key"].encode("utf-8"))
            return {"found": value is not None, "value_hex": value.hex() if value else None}
        raise ValueError(f"unknown op {op!r}")

    async def main(self) -> None:
        async with self.host.run(listen_addrs=[self.listen]):
            async with background_trio_service(self.dht):
                emit({"event": "ready", "peer_id": self.host.get_id().to_base58(), "addr": own_addr(self.host, self.listen)})
                await command_loop(self.do)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--log-level", default="ERROR")
    args = ap.parse_args()
    run(Peer(args.seed).main, args.log_level)


if __name__ == "__main__":
    main()
