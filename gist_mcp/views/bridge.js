// The view side of the MCP Apps extension (io.modelcontextprotocol/ui), shared by every gist-mcp view.
// JSON-RPC 2.0 over postMessage with the host: ui/initialize, then ui/notifications/initialized; the host
// then sends the tool's input and result as notifications (the views need only the result: its data
// names what it is about); actions are tools/call requests the host relays.
// Customer data is only ever inserted as text (h() below), never as HTML.
"use strict";
const gist = (() => {
  let nextId = 1;
  const pending = new Map();
  const on = {};
  const post = (message) => window.parent.postMessage({ jsonrpc: "2.0", ...message }, "*");
  const request = (method, params) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      post({ id, method, params });
    });
  window.addEventListener("message", (event) => {
    const m = event.data;
    if (event.source !== window.parent || !m || m.jsonrpc !== "2.0") return;
    if (m.method === undefined) {
      const waiter = pending.get(m.id);
      if (!waiter) return;
      pending.delete(m.id);
      if (m.error) waiter.reject(new Error(m.error.message || "request failed"));
      else waiter.resolve(m.result);
    } else if (m.method === "ui/notifications/tool-result") {
      if (on.onResult) on.onResult(m.params || {});
    } else if (m.id !== undefined) {
      // ui/resource-teardown and anything else the host asks: nothing to clean up, nothing else served.
      post(m.method === "ui/resource-teardown" ? { id: m.id, result: {} } : { id: m.id, error: { code: -32601, message: "Method not found" } });
    }
  });
  const textOf = (result) => (result.content || []).map((block) => block.text || "").join("");
  return {
    /** Handshake with the host, then hand each tool result to `handlers.onResult`. */
    async start(handlers) {
      Object.assign(on, handlers);
      const init = await request("ui/initialize", {
        protocolVersion: "2026-01-26",
        appInfo: { name: "gist-mcp", version: "1" },
        appCapabilities: {},
      });
      // Follow the host's light or dark theme (else the system's, per style.css).
      const theme = init && init.hostContext && init.hostContext.theme;
      if (theme === "light" || theme === "dark") document.documentElement.style.colorScheme = theme;
      post({ method: "ui/notifications/initialized", params: {} });
      return init;
    },
    /** Call a gist-mcp tool through the host; its structuredContent, or an Error with the tool's message. */
    async call(name, args) {
      const result = await request("tools/call", { name, arguments: args });
      if (result.isError) throw new Error(textOf(result) || name + " failed");
      return result.structuredContent || JSON.parse(textOf(result) || "{}");
    },
    /** The data of a tool result notification: structuredContent, else its JSON text. */
    data(result) {
      if (result.structuredContent) return result.structuredContent;
      try { return JSON.parse(textOf(result)); } catch (error) { return null; }
    },
    /** Tell the host how tall the view is now. */
    resized() {
      const box = document.documentElement.getBoundingClientRect();
      post({ method: "ui/notifications/size-changed", params: { width: Math.ceil(box.width), height: Math.ceil(box.height) } });
    },
  };
})();

/** An element with attributes (on* are listeners) and children (strings become text nodes). */
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Replace the children of #id. */
function show(id, ...children) {
  document.getElementById(id).replaceChildren(...children.flat());
  gist.resized();
}

/** Run an action: disable its button meanwhile, say what happened in #status. */
async function act(button, work, done) {
  button.disabled = true;
  try {
    await work();
    show("status", h("span", { class: "ok" }, done));
  } catch (error) {
    show("status", h("span", { class: "error" }, error.message));
  } finally {
    button.disabled = false;
  }
}

/** A date for people: 2026-11-30 14:05. */
const when = (iso) => (iso ? String(iso).replace("T", " ").slice(0, 16) : "");
