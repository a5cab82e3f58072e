/*
 * Chat widget loader. A site embeds the chat with one tag:
 *
 *   <script src="https://gateway.example/widget.js" data-title="Help" async></script>
 *
 * Options (all optional): data-gateway, data-title, data-greeting, data-color, data-lang,
 * data-strings (JSON), data-storage ("session" | "local"), data-open. See widget/config.js.
 * The rest of the widget is plain ES modules and CSS next to this file, fetched from this script's
 * own origin (the gateway serves them with CORS, since module scripts require it cross-origin).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || window.__chatGatewayWidget) return;
  window.__chatGatewayWidget = true;
  var src = script.src;
  import(new URL("widget/main.js", src).href)
    .then(function (widget) {
      window.__chatGatewayWidget = widget.mount(script, src);
    })
    .catch(function (error) {
      window.__chatGatewayWidget = false;
      console.error("chat widget: could not load", error);
    });
})();
