// The release switcher: a select in the navbar listing site/versions.json. Choosing a release opens the
// same page there when it exists (with the same ?district= and #section), else that release's home. Pages find the site root from their own
// site_libs link, so one script serves every page at any depth.
(function () {
  var lib = document.querySelector('link[href*="site_libs/"], script[src*="site_libs/"]');
  if (!lib || !window.fetch) return;
  var libUrl = lib.href || lib.src;
  var releaseRoot = libUrl.slice(0, libUrl.indexOf("site_libs/"));
  var siteRoot = new URL("../", releaseRoot).href;
  var current = decodeURIComponent(releaseRoot.slice(siteRoot.length, -1));
  var here = location.href.split("#")[0].split("?")[0];
  var pagePath = here.indexOf(releaseRoot) === 0 ? here.slice(releaseRoot.length) : "";
  if (pagePath === "" || pagePath.slice(-1) === "/") pagePath += "index.html";

  function go(release) {
    var home = siteRoot + encodeURIComponent(release) + "/index.html";
    var target = siteRoot + encodeURIComponent(release) + "/" + pagePath;
    fetch(target, { method: "HEAD" })
      .then(function (response) { location.href = response.ok ? target + location.search + location.hash : home; })
      .catch(function () { location.href = home; });
  }

  function label(release) {
    return "Release " + release.name + (release.latest ? " (latest)" : "");
  }

  fetch(siteRoot + "versions.json")
    .then(function (response) { return response.json(); })
    .then(function (versions) {
      var releases = versions.releases.slice().reverse();
      var wrapper = document.createElement("div");
      wrapper.className = "release-switcher";
      var text = document.createElement("label");
      text.htmlFor = "release-switcher";
      text.textContent = "Release";
      var select = document.createElement("select");
      select.id = "release-switcher";
      select.className = "form-select form-select-sm";
      select.setAttribute("aria-label", "Release");
      releases.forEach(function (release) {
        var option = document.createElement("option");
        option.value = release.name;
        option.textContent = label(release);
        if (release.date) option.title = "published " + release.date;
        option.selected = release.name === current;
        select.appendChild(option);
      });
      select.addEventListener("change", function () { go(select.value); });
      wrapper.appendChild(text);
      wrapper.appendChild(select);
      var tools = document.querySelector(".quarto-navbar-tools");
      if (tools) tools.insertBefore(wrapper, tools.firstChild);
      else (document.querySelector("nav") || document.body).appendChild(wrapper);
      var latest = releases.filter(function (release) { return release.latest; })[0];
      if (latest && latest.name !== current) {
        var banner = document.createElement("p");
        banner.className = "older-release";
        banner.setAttribute("role", "note");
        banner.innerHTML = "You are reading release <strong></strong>. ";
        banner.querySelector("strong").textContent = current;
        var link = document.createElement("a");
        link.href = siteRoot + encodeURIComponent(latest.name) + "/index.html";
        link.textContent = "The latest is " + latest.name + ".";
        link.addEventListener("click", function (event) { event.preventDefault(); go(latest.name); });
        banner.appendChild(link);
        var main = document.querySelector("main") || document.body;
        main.insertBefore(banner, main.firstChild);
      }
    })
    .catch(function () {});
})();
