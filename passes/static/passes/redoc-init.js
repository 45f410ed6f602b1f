/* Starts Redoc on /api/redoc/ from a file, so the page needs no inline script. */
(function () {
  "use strict";
  // Redoc's sidebar draws Redocly's logo from their CDN whatever the options: offices run on
  // closed networks and the policy forbids it, so that one image is never asked for (its link
  // is hidden by the page's style).
  function fromCdn(value) {
    return String(value).indexOf("https://cdn.redoc.ly/") === 0;
  }
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this.tagName === "IMG" && name === "src" && fromCdn(value)) return;
    return setAttribute.call(this, name, value);
  };
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {
      if (!fromCdn(value)) src.set.call(this, value);
    }
  });
  var container = document.getElementById("redoc-container");
  var settings = JSON.parse(document.getElementById("redoc-settings").textContent);
  Redoc.init(container.dataset.schemaUrl, settings, container);
})();
