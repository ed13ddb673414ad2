// Find a district on a chart of every district: a box above each findable chart. Part of a name or an id is
// enough; the list suggests names as the reader types. The chosen district and its peers are marked and labelled
// on every findable chart of the page, the rest fade, and their rows are highlighted in the page's tables. A link
// with ?district=ID opens the page with that district marked. Charts, links and tables read the same without this script.
(function () {
  var figures = Array.prototype.slice.call(document.querySelectorAll("figure.findable-chart"));
  if (!figures.length) return;
  var SVG = "http://www.w3.org/2000/svg";
  var districts = {};
  figures.forEach(function (figure) {
    var listed = JSON.parse(figure.getAttribute("data-districts") || "{}");
    Object.keys(listed).forEach(function (id) { districts[id] = listed[id]; });
  });
  var ids = Object.keys(districts).sort();
  var shown = {};  // what the list offers: the name, or "name (id)" when two districts share a name
  ids.forEach(function (id) {
    var name = districts[id].name;
    var twin = ids.some(function (other) { return other !== id && districts[other].name === name; });
    shown[id] = twin ? name + " (" + id + ")" : name;
  });

  // Exact name or id first; otherwise every district whose name or id contains what was typed.
  function matches(typed) {
    var text = typed.trim().toLowerCase();
    if (!text) return [];
    var exact = ids.filter(function (id) { return id.toLowerCase() === text || shown[id].toLowerCase() === text || districts[id].name.toLowerCase() === text; });
    if (exact.length) return exact;
    return ids.filter(function (id) { return id.toLowerCase().indexOf(text) >= 0 || districts[id].name.toLowerCase().indexOf(text) >= 0; });
  }

  var boxes = [];
  function clear() {
    document.querySelectorAll(".found-district, .found-peer").forEach(function (el) { el.classList.remove("found-district", "found-peer"); });
    document.querySelectorAll(".found-label").forEach(function (el) { el.remove(); });
    document.querySelectorAll(".found-named").forEach(function (el) { el.classList.remove("found-named"); });
    figures.forEach(function (figure) { figure.classList.remove("finding"); });
  }
  function label(mark, text) {
    var svg = mark.ownerSVGElement;
    var named = Array.prototype.filter.call(svg.querySelectorAll("text"), function (t) { return t.textContent === text; });
    if (named.length) { named.forEach(function (t) { t.classList.add("found-named"); }); return; }  // the chart names it already
    var box = mark.getBBox();
    var note = document.createElementNS(SVG, "text");
    note.setAttribute("class", "found-label");
    note.setAttribute("x", box.x + box.width + 3);
    note.setAttribute("y", box.y + box.height / 2 + 4);
    note.setAttribute("aria-hidden", "true");
    note.textContent = text;
    svg.appendChild(note);
    var room = svg.viewBox.baseVal.width;  // a label that would run off the chart goes to the left of its mark
    if (room && note.getBBox().x + note.getBBox().width > room) note.setAttribute("x", Math.max(0, box.x - 3 - note.getBBox().width));
  }
  function markDistrict(id) {
    clear();
    var peers = districts[id].peers || [];
    figures.forEach(function (figure) {
      var prefix = figure.getAttribute("data-prefix");
      figure.classList.add("finding");
      peers.concat([id]).forEach(function (district) {
        var mark = figure.querySelector('[id="' + prefix + "-" + district + '"]');
        if (!mark) return;
        mark.classList.add(district === id ? "found-district" : "found-peer");
        mark.parentNode.appendChild(mark);
        label(mark, districts[district] ? districts[district].name : district);
      });
    });
    document.querySelectorAll("tr[data-district]").forEach(function (row) {
      var district = row.getAttribute("data-district");
      if (district === id) row.classList.add("found-district");
      else if (peers.indexOf(district) >= 0) row.classList.add("found-peer");
    });
    return peers.length;
  }
  function choose(id, from) {
    var peers = markDistrict(id);
    boxes.forEach(function (box) {
      if (box.input !== from) box.input.value = shown[id];
      box.searched = box.input.value;
      box.legend.innerHTML = '<span class="legend-district">●</span> <span class="name"></span> · <span class="legend-peer">●</span> its ' + peers + " peers";
      box.legend.querySelector(".name").textContent = districts[id].name;
    });
  }
  function find(box) {
    // Leaving the box fires "change" with the text "input" already searched for: searching again would rebuild the
    // list of matches under the reader's click on one of them, and the click would be lost.
    if (box.input.value === box.searched) return;
    box.searched = box.input.value;
    var found = matches(box.input.value);
    if (found.length === 1) { choose(found[0], box.input); return; }
    clear();
    boxes.forEach(function (other) { other.legend.textContent = ""; });
    if (found.length > 1) {
      box.legend.innerHTML = '<span class="finder-matches">' + found.length + " districts match: </span>";
      var list = box.legend.querySelector(".finder-matches");
      found.slice(0, 8).forEach(function (id) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-outline-secondary btn-sm";
        button.textContent = shown[id];
        button.addEventListener("click", function () { box.input.value = shown[id]; choose(id, box.input); });
        list.appendChild(button);
      });
    } else if (box.input.value.trim()) {
      box.legend.textContent = "No district matches “" + box.input.value.trim() + "”.";
    }
  }
  figures.forEach(function (figure, n) {
    var form = document.createElement("div");
    form.className = "district-finder";
    form.innerHTML = '<label>Find a district (part of a name or an id) <input type="search" class="form-control form-control-sm" autocomplete="off"></label>' +
      '<datalist></datalist><span class="finder-legend" aria-live="polite"></span>';
    var box = { input: form.querySelector("input"), legend: form.querySelector(".finder-legend") };
    var list = form.querySelector("datalist");
    list.id = "district-finder-list-" + n;
    box.input.setAttribute("list", list.id);
    ids.map(function (id) { return shown[id]; }).sort().forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      list.appendChild(option);
    });
    box.input.addEventListener("input", function () { find(box); });
    box.input.addEventListener("change", function () { find(box); });
    figure.querySelectorAll("a.district-mark").forEach(function (mark) { mark.classList.add("district-point"); });
    figure.insertBefore(form, figure.firstChild);
    boxes.push(box);
  });
  var asked = new URLSearchParams(location.search).get("district");
  if (asked && districts[asked]) { boxes[0].input.value = shown[asked]; choose(asked, boxes[0].input); }
})();
