/**
 * Markdown -> safe HTML in the browser, by the server's rules.
 *
 * notes/markdown_rules.json holds the rules both renderers follow: the parser's options,
 * the sanitizer's allow-list (tags, attributes per tag, URL schemes, link rel) and the
 * cost budget. The server renders with markdown-it-py + nh3 (notes/rendering.py); this
 * renders with markdown-it 14.1.0 (the version markdown-it-py 4 ports: pinned exactly
 * in package.json) + DOMPurify configured from the same allow-list, with a hook that
 * applies it per tag and checks URL schemes the way nh3 (ammonia) does.
 */
import MarkdownIt from "markdown-it";
import DOMPurify from "dompurify";

import RULES from "../../notes/markdown_rules.json";
import { extrasPlugin } from "./markdown-extras.js";

const SANITIZER = RULES.sanitizer;
const ATTRIBUTES = new Map(Object.entries(SANITIZER.attributes).map(([tag, names]) => [tag, new Set(names)]));
const URL_ATTRIBUTES = new Set(SANITIZER.url_attributes);
const SCHEMES = new Set(SANITIZER.url_schemes.map((scheme) => `${scheme}:`));
const COST = RULES.cost;
const WEIGHTS = new Map(Object.entries(COST.characters).map(([character, weight]) => [character.charCodeAt(0), weight]));

export const TOO_COSTLY_HTML = COST.too_costly_html;

const parser = (() => {
  const options = RULES.markdown;
  const md = new MarkdownIt(options.preset, {
    html: options.html,
    linkify: options.linkify,
    maxNesting: options.max_nesting,
  }).enable(options.enable);
  md.use(extrasPlugin, { anchorPrefix: RULES.line_anchor_prefix });
  return md;
})();

/** Whether a URL may stay: relative, or absolute with an allowed scheme (as ammonia decides, by the WHATWG URL parser). */
function allowedUrl(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return true; // relative: no scheme to check
  }
  return SCHEMES.has(url.protocol);
}

const purifier = DOMPurify(window);
purifier.addHook("uponSanitizeAttribute", (node, data) => {
  const allowed = ATTRIBUTES.get(node.nodeName.toLowerCase());
  if (!allowed || !allowed.has(data.attrName)) {
    data.keepAttr = false;
  } else if (URL_ATTRIBUTES.has(data.attrName) && !allowedUrl(data.attrValue)) {
    data.keepAttr = false;
  }
});
purifier.addHook("afterSanitizeAttributes", (node) => {
  if (node.nodeName === "A") node.setAttribute("rel", SANITIZER.link_rel);
});
const PURIFY_OPTIONS = {
  ALLOWED_TAGS: SANITIZER.tags,
  ALLOWED_ATTR: [...new Set(Object.values(SANITIZER.attributes).flat())],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  // Any URL passes here: the hook above decides, by the allow-list's schemes.
  ALLOWED_URI_REGEXP: /^/,
};

/** Estimated µs the server's parser needs (notes/rendering.py's render_cost). */
export function renderCost(text) {
  let weighted = 0;
  let astral = 0; // Python counts code points, JavaScript UTF-16 units
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) astral++;
    else weighted += WEIGHTS.get(code) || 0;
  }
  return Math.floor((text.length - astral) / COST.default_divisor) + weighted;
}

export function sanitize(html) {
  return purifier.sanitize(html, PURIFY_OPTIONS);
}

/** Markdown -> sanitized HTML, like the server's render_markdown(text, lines=lines). */
export function renderMarkdown(text, { lines = false } = {}) {
  if (!text) return "";
  if (renderCost(text) > COST.max) return TOO_COSTLY_HTML;
  return sanitize(parser.render(text, { lines }));
}
