// Match patterns (scheme, `*.` host, path), the one parser for every context: the background
// (sites enabled from the popup), the settings (listed sites and their keys) and the site
// adapters. A classic script: content scripts load it from the manifest; pages and the
// background import it for its effect. Defines globalThis.beforeYouPostMatchPattern.
(() => {
  'use strict';
  if (globalThis.beforeYouPostMatchPattern) return;

  // { schemes, host, subdomains } for a pattern of the form scheme://host/path, or null.
  // `host` is without `*.` and port; `subdomains`: the pattern also covers its subdomains.
  function parse(pattern) {
    const m = /^(https?|\*):\/\/(\*\.)?([^/*:]+)(?::\*)?\//.exec(String(pattern));
    if (!m) return null;
    return {
      schemes: m[1] === '*' ? ['http:', 'https:'] : [`${m[1]}:`],
      host: m[3].toLowerCase(),
      subdomains: Boolean(m[2]),
    };
  }

  // Whether a hostname belongs to the pattern's site: the host itself or, for `*.` patterns,
  // any subdomain of it.
  function coversHost(pattern, hostname) {
    const p = typeof pattern === 'string' ? parse(pattern) : pattern;
    if (!p) return false;
    const host = String(hostname).toLowerCase();
    return host === p.host || (p.subdomains && host.endsWith(`.${p.host}`));
  }

  // Whether an origin (scheme, host and port) is covered by the pattern.
  function matchesOrigin(pattern, origin) {
    const p = parse(pattern);
    let url;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    return Boolean(p) && p.schemes.includes(url.protocol) && coversHost(p, url.hostname);
  }

  // The registrable part a listed pattern stands for (`*.facebook.com` -> facebook.com).
  const domainOf = (pattern) => parse(pattern)?.host ?? null;

  globalThis.beforeYouPostMatchPattern = Object.freeze({ parse, coversHost, matchesOrigin, domainOf });
})();
