/// The node's web page: one static document that reads the JSON API. Everything shown is
/// inserted as text (`textContent`), never as markup, so package metadata cannot inject HTML.
enum WebPage {
    static let html = Array(#"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Agora node</title>
    <style>
      body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d232a; }
      h1 { font-size: 1.4rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; }
      #status { color: #5b6570; font-size: .85rem; }
      form { display: flex; gap: .5rem; margin: 1rem 0; } input { flex: 1; padding: .45rem .6rem; font-size: 1rem; }
      button { padding: .45rem 1rem; font-size: 1rem; }
      table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
      td.mono, span.mono { font-family: ui-monospace, monospace; font-size: .8rem; word-break: break-all; }
      a { color: #0a58ca; cursor: pointer; } .yanked { color: #a3262a; } .muted { color: #5b6570; }
    </style>
    </head>
    <body>
    <h1>Agora node</h1>
    <div id="status">loading status…</div>
    <form id="search-form"><input id="query" name="q" placeholder="Search packages (a typo is fine)" autocomplete="off"><button type="submit">Search</button></form>
    <div id="results"></div>
    <div id="package"></div>
    <h2>Network</h2>
    <div id="network" class="muted">loading peers…</div>
    <script>
    "use strict";
    const api = "/-/api/v1";
    function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
    function row(cells) { const tr = el("tr"); for (const c of cells) { tr.appendChild(c instanceof Node ? c : el("td", c)); } return tr; }
    async function getJSON(path) { const r = await fetch(path); const body = await r.json(); if (!r.ok) throw new Error(body.detail || r.statusText); return body; }
    async function loadStatus() {
      try {
        const s = await getJSON(api + "/status");
        let text = "publisher " + s.publisher.slice(0, 16) + "… · " + s.events + " events in the log";
        if (s.node) text += " · node " + s.node.health + ", " + s.node.peersConnected + " peer" + (s.node.peersConnected === 1 ? "" : "s") + ", sync lag " + s.node.maxSyncLag;
        document.getElementById("status").textContent = text;
      } catch (e) { document.getElementById("status").textContent = "status unavailable: " + e.message; }
    }
    async function loadPeers() {
      const box = document.getElementById("network");
      try {
        const p = await getJSON(api + "/peers");
        if (!p.node) { box.replaceChildren(el("p", "no node runs beside this server", "muted")); return; }
        const table = el("table"); table.id = "peers";
        table.appendChild(row([el("th", "Peer"), el("th", "RTT ms"), el("th", "Sync lag"), el("th", "Agent")]));
        for (const peer of p.peers) {
          table.appendChild(row([el("td", peer.peer_id, "mono"), peer.rtt_ms === undefined ? "-" : peer.rtt_ms.toFixed(2),
            peer.sync_lag === undefined ? "-" : String(peer.sync_lag), peer.agent || "-"]));
        }
        const parts = [el("p", p.peers.length + " connected peer" + (p.peers.length === 1 ? "" : "s"), "muted"), table];
        for (const c of p.cutOff) parts.push(el("p", "cut off " + c.peer_id + ": " + c.reason, "yanked"));
        box.replaceChildren(...parts);
      } catch (e) { box.replaceChildren(el("p", "peers unavailable: " + e.message, "yanked")); }
    }
    async function search(q) {
      const box = document.getElementById("results"); box.replaceChildren(el("p", "searching…", "muted"));
      try {
        const { results } = await getJSON(api + "/search?q=" + encodeURIComponent(q));
        const table = el("table"); table.id = "result-table";
        table.appendChild(row([el("th", "Package"), el("th", "Version"), el("th", "Match"), el("th", "Description")]));
        for (const r of results) {
          const link = el("a", r.package); link.dataset.package = r.package; link.addEventListener("click", () => show(r.package));
          const cell = el("td"); cell.appendChild(link); if (r.yanked) cell.appendChild(el("span", " yanked", "yanked"));
          table.appendChild(row([cell, r.version, r.match, r.description]));
        }
        box.replaceChildren(el("h2", results.length + " result" + (results.length === 1 ? "" : "s") + " for “" + q + "”"), table);
      } catch (e) { box.replaceChildren(el("p", "search failed: " + e.message, "yanked")); }
    }
    async function show(name) {
      const box = document.getElementById("package"); box.replaceChildren(el("p", "loading " + name + "…", "muted"));
      try {
        const [scope, pkg] = name.split("/");
        const info = await getJSON(api + "/packages/" + encodeURIComponent(scope) + "/" + encodeURIComponent(pkg));
        const versions = el("table"); versions.id = "versions";
        versions.appendChild(row([el("th", "Version"), el("th", "SHA-256"), el("th", "Authors"), el("th", "Signed by")]));
        for (const r of info.releases) {
          const v = el("td", r.version); if (r.yanked) v.appendChild(el("span", " yanked: " + (r.yankReason || ""), "yanked"));
          versions.appendChild(row([v, el("td", r.digest, "mono"), (r.manifest && r.manifest.authors || []).join(", "), el("td", r.author.slice(0, 16) + "…", "mono")]));
        }
        const history = el("table"); history.id = "history";
        history.appendChild(row([el("th", "#"), el("th", "When"), el("th", "Event")]));
        const log = await getJSON(api + "/log?since=0&limit=1000");
        for (const e of log.entries.filter(e => e.summary.toLowerCase().startsWith(info.package.toLowerCase() + " "))) {
          history.appendChild(row([String(e.localSeq), new Date(e.timestamp).toISOString(), e.kind + ": " + e.summary]));
        }
        const latest = el("p", "latest " + (info.latest || "none") + (info.contested ? " · contested scope" : ""), "muted");
        box.replaceChildren(el("h2", info.package), latest, versions, el("h2", "History"), history);
      } catch (e) { box.replaceChildren(el("p", name + ": " + e.message, "yanked")); }
    }
    document.getElementById("search-form").addEventListener("submit", ev => { ev.preventDefault(); const q = document.getElementById("query").value.trim(); if (q) search(q); });
    const params = new URLSearchParams(location.search);
    const initial = params.get("q");
    if (initial) { document.getElementById("query").value = initial; search(initial); }
    if (params.get("package")) show(params.get("package"));
    loadStatus();
    loadPeers();
    </script>
    </body>
    </html>
    """#.utf8)
}
