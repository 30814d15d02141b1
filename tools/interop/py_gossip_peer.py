#!/usr/bin/env python3
"""py-libp2p 0.8.1 gossipsub peer that Agora's interop tests drive over stdin/stdout.

    python py_gossip_peer.py --seed N --topic T

Stack: TCP on 127.0.0.1, /noise, /yamux/1.0.0, identify + ping, GossipSub
(/meshsub/1.1.0 and /1.0.0; D=6, D_lo=4, D_hi=12, heartbeat 1 s, StrictSign) with
py-libp2p's non-spec spam/adaptive/eclipse heuristics off (its defaults drop a
peer's messages past 10/s). Message ID = SHA-256(data), as Agora computes it, so
IHAVE/IWANT name messages the same way on both sides. Identity: ed25519 seed =
N as 32 little-endian bytes. Subscribed to the topic from the start.

stdout: one JSON object per line. First
    {"event":"ready","peer_id":...,"addr":"/ip4/127.0.0.1/tcp/P/p2p/<id>"}
then {"event":"message","topic":..,"from":<author>,"data_hex":..} per message the
router delivers, and one {"event":"result","op":...,"ok":bool,...} per command.
stdin: one JSON command per line, run one at a time:
    {"op":"connect","addr":MULTIADDR}   -> peer_id
    {"op":"publish","data_hex":HEX}     -> a message signed by this peer
    {"op":"publish_forged","data_hex":HEX,"as_seed":M}
        -> a message claiming to be from seed M's peer ID but signed by this
           peer's key, written straight to every connected pubsub peer's stream
    {"op":"mesh"}                       -> mesh (peer ids in our mesh for the topic),
                                           topic_peers
    {"op":"quit"}
Diagnostics go to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from typing import Any

import trio

from harness import command_loop, connect, emit, key_pair, make_host, own_addr, run
from libp2p.peer.id import ID
from libp2p.pubsub.gossipsub import PROTOCOL_ID as MESHSUB_V10, PROTOCOL_ID_V11 as MESHSUB_V11, GossipSub
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import PUBSUB_SIGNING_PREFIX, Pubsub
from libp2p.tools.anyio_service import background_trio_service


def message_id(msg: rpc_pb2.Message) -> bytes:
    return hashlib.sha256(msg.data).digest()


class Peer:
    def __init__(self, seed: int, topic: str) -> None:
        self.keys = key_pair(seed)
        self.topic = topic
        self.host, self.listen = make_host(self.keys)
        self.gossipsub = GossipSub(
            protocols=[MESHSUB_V11, MESHSUB_V10], degree=6, degree_low=4, degree_high=12,
            time_to_live=60, gossip_window=3, gossip_history=5,
            heartbeat_initial_delay=0.1, heartbeat_interval=1,
            spam_protection_enabled=False, adaptive_gossip_enabled=False, eclipse_protection_enabled=False,
        )
        self.pubsub = Pubsub(self.host, self.gossipsub, strict_signing=True, msg_id_constructor=message_id)

    async def receive(self, subscription: Any) -> None:
        while True:
            msg = await subscription.get()
            emit({"event": "message", "topic": self.topic,
                  "from": ID(msg.from_id).to_base58() if msg.from_id else None,
                  "data_hex": msg.data.hex()})

    async def forge(self, data: bytes, as_seed: int) -> int:
        """A message whose `from` names another peer, signed with our own key, sent raw."""
        claimed = ID.from_pubkey(key_pair(as_seed).public_key)
        msg = rpc_pb2.Message(data=data, topicIDs=[self.topic], from_id=claimed.to_bytes(),
                              seqno=os.urandom(8))
        msg.signature = self.keys.private_key.sign(PUBSUB_SIGNING_PREFIX.encode() + msg.SerializeToString())
        rpc = rpc_pb2.RPC(publish=[msg])
        sent = 0
        for peer in list(self.pubsub.peers.keys()):
            await self.pubsub.write_msg(self.pubsub.peers[peer], rpc)
            sent += 1
        return sent

    async def do(self, cmd: dict[str, Any]) -> dict[str, Any]:
        op = cmd.get("op")
        if op == "connect":
            peer = await connect(self.host, cmd["addr"], float(cmd.get("timeout", 30)))
            return {"peer_id": peer.to_base58()}
        if op == "publish":
            await self.pubsub.publish(self.topic, bytes.fromhex(cmd["data_hex"]))
            return {}
        if op == "publish_forged":
            return {"sent": await self.forge(bytes.fromhex(cmd["data_hex"]), int(cmd["as_seed"]))}
        if op == "mesh":
            return {"mesh": sorted(p.to_base58() for p in self.gossipsub.mesh.get(self.topic, set())),
                    "topic_peers": sorted(p.to_base58() for p in self.pubsub.peer_topics.get(self.topic, set()))}
        raise ValueError(f"unknown op {op!r}")

    async def main(self) -> None:
        async with self.host.run(listen_addrs=[self.listen]):
            async with background_trio_service(self.pubsub), background_trio_service(self.gossipsub):
                await self.pubsub.wait_until_ready()
                subscription = await self.pubsub.subscribe(self.topic)
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self.receive, subscription)
                    emit({"event": "ready", "peer_id": self.host.get_id().to_base58(),
                          "addr": own_addr(self.host, self.listen), "pid": os.getpid()})
                    await command_loop(self.do)
                    nursery.cancel_scope.cancel()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--log-level", default="ERROR")
    args = ap.parse_args()
    run(Peer(args.seed, args.topic).main, args.log_level)


if __name__ == "__main__":
    main()
