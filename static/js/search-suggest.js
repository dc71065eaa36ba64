/* Search suggestions: fills the native <datalist> of each search box with completions from
   /search/suggest. Progressive enhancement only: without this script the boxes still search.
   Suggestions are set as option values (text), never as HTML. */
(function () {
  "use strict";
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-suggest");
    if (!list || !url || !window.fetch) { return; }
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = input.value.trim();
        if (text.length < 2 || text === last) { return; }
        last = text;
        fetch(url + "?q=" + encodeURIComponent(text), {headers: {"Accept": "application/json"}})
          .then(function (response) { return response.ok ? response.json() : {suggestions: []}; })
          .then(function (data) {
            while (list.firstChild) { list.removeChild(list.firstChild); }
            (data.suggestions || []).forEach(function (value) {
              var option = document.createElement("option");
              option.value = value;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are optional: the box still works */ });
      }, 200);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest][list]"), attach);
  });
}());
