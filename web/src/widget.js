// Coop Santé web chat widget: one <script> tag adds a chat button and panel to any page.
//
//   <script src="https://triage.example/webhooks/web/widget.js" data-coop="val-morin" defer></script>
//
// Options (data- attributes of the tag): coop, color (accent, must keep 4.5:1 contrast on white),
// title, storage ("session", the default, forgets when the tab closes: shared computers; or "local"),
// server (defaults to where the script came from), token (a signed JWT from a coop site where the
// member is logged in). window.CoopSanteChat = {...} set before the tag works too.
//
// The conversation lives on the server; the browser keeps only the session id, so a reload or
// another page of the same site resumes it, history included.
import { io } from "socket.io-client";
import css from "./widget.css";

const script = document.currentScript;
const options = Object.assign({}, script ? script.dataset : {}, window.CoopSanteChat || {});
const server = options.server || (script && script.src ? new URL(script.src).origin : window.location.origin);
const store = options.storage === "local" ? window.localStorage : window.sessionStorage;
const KEY = "coopsante-chat";
const MAX_CHARS = 1000;
const TYPING_QUIET_MS = 900;

const saved = readState();
let socket = null;
let sessionReady = false; // messages wait until the server has confirmed the conversation
const waiting = [];
let typingTimer = null;
let historyShown = false;

function readState() {
  try {
    return JSON.parse(store.getItem(KEY) || "{}");
  } catch (_) {
    return {};
  }
}

function saveState(changes) {
  Object.assign(saved, changes);
  try {
    store.setItem(KEY, JSON.stringify(saved));
  } catch (_) {
    // Storage full or blocked (private mode): the chat still works for this page.
  }
}

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function time(date) {
  const label = date.toLocaleTimeString("fr-CA", { hour: "2-digit", minute: "2-digit" });
  return el("time", { class: "csw-time", datetime: date.toISOString(), text: label });
}

// --- The page's parts -------------------------------------------------------------------------

const style = el("style", { text: css });

const launcher = el("button", {
  type: "button",
  class: "csw-launcher",
  "aria-expanded": "false",
  "aria-controls": "csw-panel",
  text: "Clavarder avec l'assistant santé",
});
const title = el("h2", { id: "csw-title", class: "csw-title", text: options.title || "Assistant de votre coop santé" });
const closeButton = el("button", {
  type: "button",
  class: "csw-close",
  "aria-label": "Fermer le clavardage",
  text: "×",
});
const emergency = el(
  "p",
  { class: "csw-emergency" },
  el("strong", { text: "Urgence: " }),
  el("a", { href: "tel:911", text: "911" }),
  " · Info-Santé: ",
  el("a", { href: "tel:811", text: "811" }),
);
const log = el("div", {
  class: "csw-log",
  role: "log",
  "aria-live": "polite",
  "aria-relevant": "additions",
  "aria-label": "Conversation",
  tabindex: "0",
});
const typing = el("p", { class: "csw-typing", hidden: "" }, "L'assistant écrit", el("span", { "aria-hidden": "true", text: "…" }));
const status = el("p", { class: "csw-status", role: "status" });
const input = el("textarea", {
  id: "csw-input",
  class: "csw-input",
  rows: "2",
  maxlength: String(MAX_CHARS),
  autocomplete: "off",
  "aria-describedby": "csw-hint",
});
const hint = el("p", { id: "csw-hint", class: "csw-hint", text: "Entrée pour envoyer, Maj+Entrée pour aller à la ligne." });
const send = el("button", { type: "submit", class: "csw-send", text: "Envoyer" });
const form = el(
  "form",
  { class: "csw-form" },
  el("label", { for: "csw-input", class: "csw-label", text: "Votre message" }),
  input,
  hint,
  send,
);
const panel = el(
  "section",
  { id: "csw-panel", class: "csw-panel", role: "dialog", "aria-labelledby": "csw-title", hidden: "" },
  el("header", { class: "csw-header" }, title, closeButton),
  emergency,
  log,
  typing,
  status,
  form,
);
const root = el("div", { class: "csw-root", lang: "fr" }, panel, launcher);
if (/^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(options.color || "")) root.style.setProperty("--csw-accent", options.color);

// --- Messages -----------------------------------------------------------------------------------

function addMessage(who, text, date, replies, author) {
  const speaker = author || (who === "bot" ? "L'assistant" : "Vous");
  const item = el(
    "div",
    { class: `csw-msg csw-${who}` },
    author
      ? el("span", { class: "csw-author", text: `${speaker}: ` })
      : el("span", { class: "csw-visually-hidden", text: `${speaker}: ` }),
    el("span", { class: "csw-text", text }),
    time(date || new Date()),
  );
  log.append(item);
  if (replies && replies.length) {
    const group = el("div", { class: "csw-replies", role: "group", "aria-label": "Réponses proposées" });
    for (const reply of replies) {
      group.append(
        el("button", {
          type: "button",
          class: "csw-reply",
          text: reply.title,
          onclick: () => {
            group.remove();
            sendMessage(reply.payload, reply.title);
            input.focus(); // the button is gone: keep the keyboard in the conversation
          },
        }),
      );
    }
    item.append(group);
  }
  log.scrollTop = log.scrollHeight;
}

function showTyping(on) {
  typing.hidden = !on;
  clearTimeout(typingTimer);
  if (on) typingTimer = setTimeout(() => (typing.hidden = true), 15000);
}

function sendMessage(payload, shown) {
  const text = String(shown || payload).trim();
  if (!text) return;
  if (text.length > MAX_CHARS) {
    status.textContent = `Votre message est trop long (${MAX_CHARS} caractères au plus).`;
    return;
  }
  for (const group of log.querySelectorAll(".csw-replies")) group.remove();
  addMessage("user", text);
  status.textContent = "";
  showTyping(true);
  // `shown` is what the member saw on a button, so the history reads "Oui" rather than "/affirmer".
  const metadata = shown && shown !== payload ? { shown: text } : {};
  waiting.push({ message: payload, metadata });
  connect();
  flush();
}

function flush() {
  while (sessionReady && socket && waiting.length) socket.emit("user_uttered", waiting.shift());
}

// --- Connection -----------------------------------------------------------------------------

function connect() {
  if (socket) return socket;
  socket = io(server, {
    path: "/socket.io",
    // Long-polling only: the Sanic 21.12 that Rasa 3.6 pins breaks python-engineio's WebSocket frames.
    transports: ["polling"],
    auth: options.token ? { token: options.token } : {},
  });
  socket.on("connect", () => {
    status.textContent = "";
    socket.emit("session_request", { session_id: saved.session || null, coop: options.coop || null });
  });
  socket.on("session_confirm", (data) => {
    const id = typeof data === "string" ? data : data && data.session_id;
    if (id) saveState({ session: id });
  });
  socket.on("history", (messages) => {
    // The conversation so far goes above anything typed meanwhile; what was typed is sent only now,
    // so that it cannot appear twice.
    if (!historyShown) {
      historyShown = true;
      const typed = [...log.childNodes];
      log.replaceChildren();
      for (const m of messages || []) addMessage(m.who, m.text, m.time ? new Date(m.time * 1000) : null, null, m.author);
      log.append(...typed);
    }
    sessionReady = true;
    flush();
  });
  socket.on("bot_uttered", (message) => {
    if (!message || !message.text) return;
    addMessage("bot", message.text, new Date(), message.quick_replies, message.auteur);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => (typing.hidden = true), TYPING_QUIET_MS);
  });
  socket.on("disconnect", () => {
    sessionReady = false;
    status.textContent = "Connexion perdue. Reconnexion en cours…";
  });
  socket.on("connect_error", () => {
    status.textContent = "Le clavardage est indisponible pour l'instant. Urgence: 911. Info-Santé: 811.";
    showTyping(false);
  });
  return socket;
}

// --- Opening and closing ------------------------------------------------------------------------

function open() {
  panel.hidden = false;
  launcher.setAttribute("aria-expanded", "true");
  saveState({ open: true });
  connect();
  input.focus();
}

function close() {
  panel.hidden = true;
  launcher.setAttribute("aria-expanded", "false");
  saveState({ open: false });
  launcher.focus();
}

launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
closeButton.addEventListener("click", close);
document.addEventListener("keydown", (event) => {
  const inChat = root.contains(document.activeElement) || document.activeElement === document.body;
  if (event.key === "Escape" && !panel.hidden && inChat) close();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value;
  if (!text.trim()) {
    status.textContent = "Écrivez votre message avant d'envoyer.";
    return;
  }
  input.value = "";
  sendMessage(text);
  input.focus();
});

function mount() {
  document.head.append(style);
  document.body.append(root);
  if (saved.open) {
    // A new page of the same site: the conversation stays open where it was.
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    connect();
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
else mount();
