// The compare page (agents_compat/report/site.py): any two runs, from the data inlined in the page (file://
// cannot fetch a JSON file). Every text goes in through textContent, never as markup.
(function () {
  var data = JSON.parse(document.getElementById("data").textContent);
  var a = document.getElementById("a"), b = document.getElementById("b");
  var result = document.getElementById("result");
  var F = data.features.length;

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    for (var key in attrs || {}) node.setAttribute(key, attrs[key]);
    return node;
  }
  data.runs.slice().reverse().forEach(function (run) {
    var label = run.at + " · SDK " + run.sdk + " · " + run.source;
    a.appendChild(el("option", label, { value: run.id }));
    b.appendChild(el("option", label, { value: run.id }));
  });
  var ids = data.runs.map(function (run) { return run.id; });
  var query = new URLSearchParams(location.search);
  var n = ids.length;
  a.value = ids.indexOf(query.get("a")) >= 0 ? query.get("a") : ids[Math.max(0, n - 2)];
  b.value = ids.indexOf(query.get("b")) >= 0 ? query.get("b") : ids[n - 1];

  function outcome(code, run, bi, fi) {
    var td = el("td");
    if (code === ".") { td.appendChild(el("span", "not run", { "class": "absent" })); return td; }
    var found = data.legend[code.toLowerCase()], differs = code !== code.toLowerCase();
    var link = el("a", null, {
      href: "runs/" + run.id + "/" + data.slugs[bi] + ".html#f-" + data.fslugs[fi]
    });
    link.appendChild(el("span", found[1], { "class": "mark o-" + found[0] + (differs ? " differs" : "") }));
    link.appendChild(document.createTextNode(" " + found[0] + (differs ? " (differs)" : "")));
    td.appendChild(link);
    return td;
  }
  function compare(event) {
    if (event) event.preventDefault();
    var i = ids.indexOf(a.value), j = ids.indexOf(b.value);
    var old = data.runs[i], now = data.runs[j];
    history.replaceState(null, "", "?a=" + encodeURIComponent(old.id) + "&b=" + encodeURIComponent(now.id));
    result.textContent = "";
    var facts = el("ul");
    if (old.sdk !== now.sdk) facts.appendChild(el("li", "SDK: " + old.sdk + " → " + now.sdk));
    data.backends.forEach(function (name, bi) {
      var was = data.servers[i][bi], is = data.servers[j][bi];
      if (was !== null && is !== null && was !== is) facts.appendChild(el("li", name + " server: " + was + " → " + is));
    });
    var body = el("tbody"), count = 0, alone = 0;
    data.backends.forEach(function (name, bi) {
      for (var fi = 0; fi < F; fi++) {
        var x = data.cells[i][bi * F + fi], y = data.cells[j][bi * F + fi];
        if (x === y) continue;
        if (x === "." || y === ".") { alone++; continue; }  // run in one of the two only: not a change
        count++;
        var tr = el("tr");
        var cell = el("td", name + " / ");
        cell.appendChild(el("code", data.features[fi]));
        tr.appendChild(cell);
        tr.appendChild(outcome(x, old, bi, fi));
        tr.appendChild(outcome(y, now, bi, fi));
        body.appendChild(tr);
      }
    });
    result.appendChild(el("h2", count + " cell" + (count === 1 ? " differs" : "s differ") + ": " + old.at + " → " + now.at));
    if (alone) facts.appendChild(el("li", alone + " cell" + (alone === 1 ? "" : "s") + " ran in only one of the two runs (not compared)"));
    if (facts.children.length) result.appendChild(facts);
    if (count) {
      var table = el("table", null, { "class": "changes" }), head = el("tr");
      ["cell", "before", "after"].forEach(function (t) { head.appendChild(el("th", t, { scope: "col" })); });
      table.appendChild(el("thead")).appendChild(head);
      table.appendChild(body);
      var wrap = el("div", null, { "class": "scroll" });
      wrap.appendChild(table);
      result.appendChild(wrap);
    }
  }
  document.getElementById("compare").addEventListener("submit", compare);
  compare();
})();
