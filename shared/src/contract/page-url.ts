/**
 * Normalizes a page URL to the path that page metrics aggregate on: no query string, no
 * fragment, and an absolute URL reduced to its path (`https://shop.example.com/p/1?x=2` → `/p/1`).
 * Returns `undefined` when nothing path-like remains.
 */
export function normalizePagePath(pageUrl: string): string | undefined {
  let path = pageUrl.trim();
  const cut = path.search(/[?#]/);
  if (cut >= 0) path = path.slice(0, cut);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
  if (scheme) {
    path = path.slice(scheme[0].length);
  } else if (path.startsWith('//')) {
    const slash = path.indexOf('/', 2);
    path = slash < 0 ? '' : path.slice(slash);
  }
  if (path === '') return '/';
  if (!path.startsWith('/')) path = `/${path}`;
  return path;
}
