// The console's live parts: the queue (with a sound and a visual cue for urgent tickets) and a
// ticket's conversation, both over server-sent events. Forms still work without this script.
"use strict";

const csrf = document.querySelector('meta[name="csrf"]')?.content || "";

function escapeHtml(text) {
  const div = document.createElement("div");
  div.textContent = text == null ? "" : String(text);
  return div.innerHTML;
}

// The server ends a live stream when the session ends (logout, expiry, new password): back to login.
function endsWithSession(events) {
  events.addEventListener("fin", () => {
    events.close();
    window.location.assign("/connexion");
  });
}

// --- Queue --------------------------------------------------------------------------------------

const waiting = document.getElementById("attente");
if (waiting) {
  const mine = document.getElementById("miens");
  const online = document.getElementById("en-ligne");
  const soundButton = document.getElementById("son");
  let audio = null;
  let known = new Set([...waiting.querySelectorAll("li.ticket")].map((li) => li.dataset.id));

  soundButton.addEventListener("click", () => {
    audio = audio ? null : new AudioContext();
    soundButton.setAttribute("aria-pressed", audio ? "true" : "false");
    soundButton.textContent = audio ? "Son des urgences activé" : "Activer le son des urgences";
  });

  function beep() {
    if (!audio) return;
    for (const [delay, pitch] of [[0, 880], [0.25, 660], [0.5, 880]]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = pitch;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + delay);
      osc.stop(audio.currentTime + delay + 0.18);
    }
  }

  function rows(list, claimable) {
    if (!list.length) return '<p class="vide">Aucune demande.</p>';
    return (
      '<ul class="tickets">' +
      list
        .map((row) => {
          const badge = row.urgent ? '<strong class="badge urgent">Urgent</strong> ' : "";
          const flag = row.signale ? "<strong class=\"badge signal\">Message d'urgence reçu</strong> " : "";
          const action = claimable
            ? `<form method="post" action="/tickets/${escapeHtml(row.id)}/prendre" class="prendre">` +
              `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit">Prendre</button></form>`
            : `<a href="/tickets/${escapeHtml(row.id)}">Ouvrir</a>`;
          return (
            `<li class="ticket${row.urgent ? " urgent" : ""}" data-id="${escapeHtml(row.id)}">${badge}${flag}` +
            `<span class="membre">${escapeHtml(row.membre)}</span> · ${escapeHtml(row.disposition)} · ` +
            `${escapeHtml(row.canal)} · depuis ${escapeHtml(row.cree)} (${row.attente_min} min)` +
            `<p class="motif">${escapeHtml(row.motif)}</p>${action}</li>`
          );
        })
        .join("") +
      "</ul>"
    );
  }

  const events = new EventSource("/flux/file");
  endsWithSession(events);
  events.addEventListener("file", (event) => {
    const state = JSON.parse(event.data);
    const arrived = state.attente.filter((row) => !known.has(row.id));
    known = new Set(state.attente.map((row) => row.id));
    waiting.innerHTML = rows(state.attente, true);
    mine.innerHTML = rows(state.miens, false);
    online.textContent = `Cliniciens en ligne: ${state.en_ligne}`;
    const urgent = arrived.filter((row) => row.urgent);
    if (urgent.length) {
      beep();
      document.title = "(!) " + document.title.replace(/^\(!\) /, "");
      for (const row of urgent) waiting.querySelector(`li[data-id="${CSS.escape(row.id)}"]`)?.classList.add("nouveau");
    }
  });
  window.addEventListener("focus", () => (document.title = document.title.replace(/^\(!\) /, "")));
}

// --- A ticket -----------------------------------------------------------------------------------

const transcript = document.getElementById("transcription");
if (transcript) {
  const ticket = transcript.dataset.ticket;
  const labels = { membre: "Membre", clinicien: null };

  function add(entry) {
    if (entry.type === "membre" || entry.type === "clinicien") {
      const li = document.createElement("li");
      li.className = entry.type + (entry.signale ? " signale" : "");
      const who = entry.type === "membre" ? labels.membre : entry.auteur;
      const flag = entry.signale ? "<strong class=\"badge signal\">Urgence</strong> " : "";
      const when = new Date(parseFloat(entry.a) * 1000).toLocaleTimeString("fr-CA", { hour: "2-digit", minute: "2-digit", timeZone: "America/Toronto" });
      li.innerHTML = `${flag}<span class="qui">${escapeHtml(who)}</span> <time>${escapeHtml(when)}</time><p>${escapeHtml(entry.texte)}</p>`;
      transcript.append(li);
    } else if (entry.type === "pris" || entry.type === "ferme" || entry.type === "avis") {
      const li = document.createElement("li");
      li.className = "note";
      const text = { pris: `Pris par ${entry.auteur}`, ferme: `Fermé: ${entry.texte}`, avis: entry.texte }[entry.type];
      li.textContent = text;
      transcript.append(li);
    }
    li_scroll();
  }

  function li_scroll() {
    transcript.lastElementChild?.scrollIntoView({ block: "nearest" });
  }

  const events = new EventSource(`/flux/tickets/${encodeURIComponent(ticket)}?apres=${encodeURIComponent(transcript.dataset.apres)}`);
  events.addEventListener("fil", (event) => add(JSON.parse(event.data)));
  endsWithSession(events);

  const form = document.getElementById("repondre");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const box = form.querySelector("textarea");
      const text = box.value.trim();
      if (!text) return;
      const answer = await fetch(form.action, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRF-Token": csrf },
        body: new URLSearchParams({ texte: text }),
      });
      if (answer.ok) box.value = "";
      else alert("Le message n'a pas pu être envoyé. Réessayez.");
      box.focus();
    });
  }
}
