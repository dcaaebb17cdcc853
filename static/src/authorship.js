/**
 * "Who wrote what" in the editor: the text coloured by author, switched on and off
 * with a button (#note-authors-toggle), with a legend (#note-authors-legend).
 *
 * Every character of the Y.Text keeps the id of the client that inserted it
 * (item.id.client); the server says which person each client id is
 * (data-authors-url: {"authors": {"<client id>": {"name", "colour"}}}, colour being
 * one of app.css's .author--0 … .author--7). Ranges are read from the Y.Text's items
 * (UTF-16 offsets, as CodeMirror's), so they follow every edit, local or remote.
 */
import { StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView } from "@codemirror/view";

// Ask the server again for names at most this often (ms) while unknown ids show.
const REFETCH_MS = 3000;

/** [{client, from, to}] in document order: who inserted each visible character. */
export function authorRanges(ytext) {
  const ranges = [];
  let pos = 0;
  for (let item = ytext._start; item !== null; item = item.right) {
    if (item.deleted || !item.countable) continue;
    const length = item.length;
    const last = ranges[ranges.length - 1];
    if (last && last.client === item.id.client && last.to === pos) last.to += length;
    else ranges.push({ client: item.id.client, from: pos, to: pos + length });
    pos += length;
  }
  return ranges;
}

const setAuthors = StateEffect.define();

const authorsField = StateField.define({
  create: () => Decoration.none,
  update(decorations, tr) {
    for (const effect of tr.effects) if (effect.is(setAuthors)) return effect.value;
    return decorations.map(tr.changes);
  },
  provide: (field) => EditorView.decorations.from(field),
});

/** The editor extension; `AuthorshipView` drives it. */
export const authorship = [authorsField];

export class AuthorshipView {
  constructor({ view, ytext, doc, url, button, legend, root }) {
    this.view = view;
    this.ytext = ytext;
    this.doc = doc;
    this.url = url;
    this.button = button;
    this.legend = legend;
    this.root = root;
    this.enabled = false;
    this.names = new Map(); // client id -> {name, colour}
    this.lastFetch = 0;
    this.fetching = null;
    this.scheduled = false;
    this.observer = () => this.schedule();
    button.hidden = false;
    button.addEventListener("click", () => this.toggle());
  }

  toggle() {
    this.enabled = !this.enabled;
    this.button.setAttribute("aria-pressed", String(this.enabled));
    this.button.textContent = this.enabled ? "Hide who wrote what" : "Who wrote what";
    this.root.dataset.authors = this.enabled ? "on" : "off";
    if (this.enabled) {
      this.ytext.observe(this.observer);
      this.fetchNames().then(() => this.render());
      this.render();
    } else {
      this.ytext.unobserve(this.observer);
      this.view.dispatch({ effects: setAuthors.of(Decoration.none) });
      this.legend.hidden = true;
      this.legend.replaceChildren();
    }
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    // After y-codemirror has applied the change to the editor.
    setTimeout(() => {
      this.scheduled = false;
      if (this.enabled) this.render();
    }, 0);
  }

  async fetchNames() {
    if (this.fetching) return this.fetching;
    this.lastFetch = Date.now();
    this.fetching = fetch(this.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : { authors: {} }))
      .then((data) => {
        for (const [client, author] of Object.entries(data.authors || {})) {
          this.names.set(Number(client), author);
        }
      })
      .catch(() => {}) // offline: keep what we know
      .finally(() => {
        this.fetching = null;
      });
    return this.fetching;
  }

  author(client) {
    const known = this.names.get(client);
    if (known) return known;
    if (client === this.doc.clientID) return { name: "You", colour: null };
    return null;
  }

  render() {
    const ranges = authorRanges(this.ytext);
    const end = ranges.length ? ranges[ranges.length - 1].to : 0;
    if (this.view.state.doc.length !== end) {
      this.schedule(); // the editor has not taken the change in yet
      return;
    }
    const marks = [];
    const people = new Map(); // "colour|name" -> {colour, name, characters}
    let unknown = false;
    for (const range of ranges) {
      const author = this.author(range.client);
      if (!author) unknown = true;
      const colour = author && author.colour !== null ? String(author.colour) : "unknown";
      const name = author ? author.name : "Not recorded";
      const key = `${colour}|${name}`;
      const person = people.get(key) || { colour, name, characters: 0 };
      person.characters += range.to - range.from;
      people.set(key, person);
      marks.push(
        Decoration.mark({
          class: `author author--${colour}`,
          attributes: { title: name, "data-author": name },
        }).range(range.from, range.to),
      );
    }
    this.view.dispatch({ effects: setAuthors.of(Decoration.set(marks)) });
    this.renderLegend([...people.values()].sort((a, b) => b.characters - a.characters));
    if (unknown && Date.now() - this.lastFetch > REFETCH_MS) {
      this.fetchNames().then(() => this.schedule());
    }
  }

  renderLegend(people) {
    this.legend.replaceChildren(
      ...people.map(({ colour, name, characters }) => {
        const item = document.createElement("li");
        item.className = "authorship__person";
        item.dataset.colour = colour;
        const swatch = document.createElement("span");
        swatch.className = `author-swatch author--${colour}`;
        swatch.setAttribute("aria-hidden", "true");
        const count = document.createElement("span");
        count.className = "meta";
        count.textContent = `(${characters} character${characters === 1 ? "" : "s"})`;
        item.append(swatch, ` ${name} `, count);
        return item;
      }),
    );
    this.legend.hidden = people.length === 0;
  }
}
