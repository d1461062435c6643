import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { expect } from 'chai';
import { ROOT, docPages, headingAnchors, links } from './helpers/markdown';

/** Every broken relative link of the documentation, as `page:line: target (why)`. */
function brokenLinks(): string[] {
  const broken: string[] = [];
  const anchors = new Map<string, Set<string>>();
  const anchorsOf = (page: string) => {
    if (!anchors.has(page)) anchors.set(page, headingAnchors(page));
    return anchors.get(page)!;
  };
  for (const page of docPages()) {
    for (const { line, target } of links(page)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:: not checked here
      const [path, anchor] = target.split('#', 2) as [string, string | undefined];
      const file = path === '' ? page : normalize(relative(ROOT, join(ROOT, dirname(page), decodeURIComponent(path))));
      const where = `${page}:${line}: ${target}`;
      if (file.startsWith('..')) broken.push(`${where} (outside the repository)`);
      else if (file.split('/')[0] === 'docs' && file.split('/')[1] === 'api') broken.push(`${where} (docs/api/ is generated, not in the repository)`);
      else if (!existsSync(join(ROOT, file))) broken.push(`${where} (no such file)`);
      else if (anchor !== undefined) {
        if (!file.endsWith('.md') || statSync(join(ROOT, file)).isDirectory()) broken.push(`${where} (an anchor into a file that is not a page)`);
        else if (!anchorsOf(file).has(anchor)) broken.push(`${where} (no heading with this anchor in ${file})`);
      }
    }
  }
  return broken;
}

describe('the documentation', () => {
  it('finds its pages and their anchors', () => {
    expect(docPages()).to.include.members(['README.md', 'docs/README.md', 'docs/storage.md', 'docs/upgrading.md', 'docs/faults.md']);
    // GitHub's anchors: lowercase, punctuation dropped, spaces to hyphens
    expect(headingAnchors('docs/storage.md')).to.include.members(['postgresql-network-token-webhookspostgres', 'leases-and-clocks']);
    expect(headingAnchors('docs/delivery-semantics.md')).to.include('inbox-mode-mode-inbox');
  });

  it('every relative link and anchor of README.md and docs/*.md resolves to a file and a heading', () => {
    const broken = brokenLinks();
    expect(broken, broken.join('\n')).to.deep.equal([]);
  });

  it('links every page of docs/ from its index and from the README', () => {
    const pages = docPages().filter((p) => p.startsWith('docs/') && p !== 'docs/README.md');
    const linked = (page: string) => new Set(links(page).map(({ target }) =>
      normalize(relative(ROOT, join(ROOT, dirname(page), target.split('#')[0]!)))));
    const fromIndex = linked('docs/README.md');
    const fromReadme = linked('README.md');
    expect(pages.filter((p) => !fromIndex.has(p)), 'not linked from docs/README.md').to.deep.equal([]);
    expect(pages.filter((p) => !fromReadme.has(p)), 'not linked from README.md').to.deep.equal([]);
  });
});
