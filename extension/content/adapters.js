// Site adapters: what differs from one social network to another, read from the one site table
// (extension/sites.json). Loaded before sensor.js in the same isolated world. An adapter only READS the page (selectors and words); holding the
// upload is the same everywhere. Selectors are best effort: sites change their markup, so a
// miss must always fall back to the safe answer (audience unknown counts as public).
'use strict';

globalThis.beforeYouPostAdapters = (() => {
  // Words that mean "not everyone can see this", per language the sites ship in.
  const RESTRICTED = /\b(friends?|amis?|only me|moi uniquement|followers?|abonnés|close friends|amis proches|private|privé|connections?|relations?|custom|personnalisé|mentioned|mentionnés)\b/i;
  const PUBLIC = /\b(public|everyone|tout le monde|anyone|n'importe qui)\b/i;

  // Generic profile-picture hints in ids, names, labels and test ids.
  const PROFILE_HINT = /avatar|profile[-_ ]?(photo|pic|picture|image)|photo[-_ ]?de[-_ ]?profil|cover[-_ ]?(photo|image)|banner|header[-_ ]?image|couverture/i;

  const GENERIC = {
    name: 'generic',
    // Elements that show who will see the post, in composers that show it.
    audience: [
      '[aria-label*="audience" i]',
      '[aria-label*="privacy" i]',
      '[aria-label*="confidentialité" i]',
      '[aria-label*="who can see" i]',
      '[aria-label*="visibility" i]',
      '[data-testid*="audience" i]',
      '[data-byp-audience]',
    ],
    profile: [],
  };

  // The listed sites, from extension/sites.json (content/sites.js is made from it by the build).
  const SITES = globalThis.beforeYouPostSites ?? [];
  const { coversHost } = globalThis.beforeYouPostMatchPattern;

  function siteFor(hostname) {
    return SITES.find((s) => s.matches.some((pattern) => coversHost(pattern, hostname))) ?? null;
  }

  function firstText(root, selectors) {
    for (const sel of selectors) {
      let el = null;
      try {
        el = root.querySelector(sel);
      } catch {
        continue; // a selector this browser does not support
      }
      if (!el) continue;
      const text = `${el.getAttribute('aria-label') ?? ''} ${el.textContent ?? ''} ${el.getAttribute('data-byp-audience') ?? ''}`.trim();
      if (text) return text;
    }
    return null;
  }

  function forLocation(loc) {
    const site = siteFor(loc.hostname);
    const audienceSelectors = [...(site?.audience ?? []), ...GENERIC.audience];
    const profileSelectors = [...(site?.profile ?? []), ...GENERIC.profile];
    return {
      name: site?.name ?? GENERIC.name,
      // 'public', 'restricted' or 'unknown' (treated as public).
      audience(root = document) {
        const text = firstText(root, audienceSelectors);
        if (text === null) return 'unknown';
        if (PUBLIC.test(text)) return 'public';
        if (RESTRICTED.test(text)) return 'restricted';
        return 'unknown';
      },
      // Whether a file input sets a profile, cover or banner picture (always public).
      isProfileInput(input) {
        for (const sel of profileSelectors) {
          try {
            if (input.matches(sel)) return true;
          } catch { /* unsupported selector */ }
        }
        for (let el = input, depth = 0; el && depth < 4; el = el.parentElement, depth++) {
          const hint = [el.id, el.getAttribute('name'), el.getAttribute('aria-label'),
            el.getAttribute('data-testid'), typeof el.className === 'string' ? el.className : ''].join(' ');
          if (PROFILE_HINT.test(hint)) return true;
        }
        return false;
      },
    };
  }

  return { forLocation, siteFor, SITES };
})();
