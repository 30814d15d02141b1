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
import json
import logging
import os
import sys
from typing import Any

import multiaddr
import trio

from libp2p import new_host
from libp2p.crypto.ed25519 import create_new_key_pair as ed25519_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as x25519_key_pair
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.pubsub.gossipsub import PROTOCOL_ID as MESHSUB_V10, PROTOCOL_ID_V11 as MESHSUB_V11, GossipSub
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import PUBSUB_SIGNING_PREFIX, Pubsub
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE, Transport as Noise
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX, Yamux
from libp2p.tools.anyio_service import background_trio_service

log = logging.getLogger("agora-gossip-interop")


def emit(obj: dict[str, Any]) -> None:
    try:
        sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        os._exit(0)


def message_id(msg: rpc_pb2.Message) -> bytes:
    return hashlib.sha256(msg.data).digest()


def key_pair(seed: int):
    return ed25519_key_pair(seed.to_bytes(32, "little"))


class Peer:
    def __init__(self, seed: int, topic: str) -> None:
        self.keys = key_pair(seed)
        self.topic = topic
        self.listen = multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")
        self.host = new_host(
            key_pair=self.keys,
            sec_opt={NOISE: Noise(self.keys, noise_privkey=x25519_key_pair().private_key)},
            muxer_opt={TProtocol(YAMUX): Yamux},
            listen_addrs=[self.listen],
        )
        self.gossipsub = GossipSub(
            protocols=[MESHSUB_V11, MESHSUB_V10], degree=6, degree_low=4, degree_high=12,
            time_to_live=60, gossip_window=3, gossip_history=5,
            heartbeat_initial_delay=0.1, heartbeat_interval=1,
            spam_protection_enabled=False, adaptive_gossip_enabled=False, eclipse_protection_enabled=False,
        )
        self.pubsub = Pubsub(self.host, self.gossipsub, strict_signing=True, msg_id_constructor=message_id)

    def own_addr(self) -> str:
        addrs = [a for a in self.host.get_addrs() if "/tcp/" in str(a)]
        base = str(addrs[0])
        suffix = f"/p2p/{self.host.get_id().to_base58()}"
        return base if base.endswith(suffix) else base + suffix

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
            info = info_from_p2p_addr(multiaddr.Multiaddr(cmd["addr"]))
            self.host.get_peerstore().add_addrs(info.peer_id, info.addrs, 3600)
            with trio.fail_after(float(cmd.get("timeout", 30))):
                await self.host.connect(info)
            return {"peer_id": info.peer_id.to_base58()}
        if op == "publish":
            await self.pubsub.publish(self.topic, bytes.fromhex(cmd["data_hex"]))
            return {}
        if op == "publish_forged":
            return {"sent": await self.forge(bytes.fromhex(cmd["data_hex"]), int(cmd["as_seed"]))}
        if op == "mesh":
            return {"mesh": sorted(p.to_base58() for p in self.gossipsub.mesh.get(self.topic, set())),
                    "topic_peers": sorted(p.to_base58() for p in self.pubsub.peer_topics.get(self.topic, set()))}
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
            out: dict[str, Any] = {"event": "result", "op": cmd.get("op")}
            if cmd.get("op") == "quit":
                emit({**out, "ok": True})
                return
            try:
                out.update(await self.do(cmd))
                out["ok"] = True
            except BaseException as e:  # trio.TooSlowError is not an Exception subclass in all versions
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                log.exception("command failed")
                out["ok"] = False
                out["error"] = f"{type(e).__name__}: {e}"
            emit(out)

    async def main(self) -> None:
        async with self.host.run(listen_addrs=[self.listen]):
            async with background_trio_service(self.pubsub), background_trio_service(self.gossipsub):
                await self.pubsub.wait_until_ready()
                subscription = await self.pubsub.subscribe(self.topic)
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self.receive, subscription)
                    emit({"event": "ready", "peer_id": self.host.get_id().to_base58(),
                          "addr": self.own_addr(), "pid": os.getpid()})
                    await self.commands()
                    nursery.cancel_scope.cancel()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--log-level", default="ERROR")
    args = ap.parse_args()
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, args.log_level.upper()),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        trio.run(Peer(args.seed, args.topic).main)
    except KeyboardInterrupt:
        pass
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
