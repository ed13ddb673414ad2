// Find a district on a chart of every district: a box above each findable chart; the chosen district and
// its peers are marked, the rest fade. A link with ?district=ID opens the page with that district marked. The chart and the tables read the same without this script.
(function () {
  var figures = document.querySelectorAll("figure.findable-chart");
  figures.forEach(function (figure, n) {
    var districts = JSON.parse(figure.getAttribute("data-districts") || "{}");
    var prefix = figure.getAttribute("data-prefix");
    var ids = Object.keys(districts);
    var byName = {};
    var shown = {};  // what the list offers: the name, or "name (id)" when two districts share a name
    ids.forEach(function (id) {
      var name = districts[id].name;
      var twin = ids.some(function (other) { return other !== id && districts[other].name === name; });
      shown[id] = twin ? name + " (" + id + ")" : name;
      byName[shown[id].toLowerCase()] = id;
      byName[id.toLowerCase()] = id;
      if (!twin) byName[name.toLowerCase()] = id;
      var point = figure.querySelector('[id="' + prefix + "-" + id + '"]');
      if (point) point.classList.add("district-point");
    });
    var form = document.createElement("div");
    form.className = "district-finder";
    var listId = "district-finder-list-" + n;
    form.innerHTML = '<label>Find a district <input type="search" class="form-control form-control-sm" autocomplete="off"></label>' +
      '<datalist></datalist><span class="finder-legend" aria-live="polite"></span>';
    var input = form.querySelector("input");
    var list = form.querySelector("datalist");
    var legend = form.querySelector(".finder-legend");
    input.setAttribute("list", listId);
    list.id = listId;
    ids.map(function (id) { return shown[id]; }).sort().forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      list.appendChild(option);
    });
    function group(id) { return figure.querySelector('[id="' + prefix + "-" + id + '"]'); }
    function mark() {
      figure.querySelectorAll(".found-district, .found-peer").forEach(function (g) { g.classList.remove("found-district", "found-peer"); });
      var id = byName[input.value.trim().toLowerCase()];
      figure.classList.toggle("finding", !!id);
      if (!id) { legend.textContent = ""; return; }
      var peers = districts[id].peers || [];
      peers.forEach(function (peer) { var g = group(peer); if (g) g.classList.add("found-peer"); });
      var own = group(id);
      if (own) { own.classList.add("found-district"); own.parentNode.appendChild(own); }
      legend.innerHTML = '<span class="legend-district">●</span> <span class="name"></span> · <span class="legend-peer">●</span> its ' + peers.length + " peers";
      legend.querySelector(".name").textContent = districts[id].name;
    }
    input.addEventListener("input", mark);
    input.addEventListener("change", mark);
    figure.insertBefore(form, figure.firstChild);
    var asked = new URLSearchParams(location.search).get("district");
    if (asked && districts[asked]) { input.value = shown[asked]; mark(); }
  });
})();
