import { baseUrl, hatAddress, type Config } from '../config.js';
import { InvalidInput, NotFound, Titles } from '../errors.js';
import { hatNameProblem, type HatDirectory } from './hats.js';

export interface LocatedHat {
  name: string;
  address: string;
  url: string;
}

/**
 * "Go to my HAT": turns what a person typed — a name, or the HAT's address as they remember it —
 * into the HAT's base URL. Only HATs that exist are offered: a mistyped name would otherwise end
 * on another host's not-found page, further from the place where it can be corrected. (Whether a
 * name exists is no secret: its address answers to anyone.)
 */
export class HatLocator {
  constructor(
    private readonly config: Config,
    private readonly directory: HatDirectory,
  ) {}

  async locate(typed: string): Promise<LocatedHat> {
    const name = hatNameIn(typed, this.config.hatDomain);
    if (!name) throw new InvalidInput('Type the name of your HAT, for example "alice"', { field: 'name', title: Titles.hatNameMissing });
    const problem = hatNameProblem(name);
    if (problem) throw new InvalidInput(`A HAT name ${problem}`, { field: 'name', title: Titles.invalidHatName });
    if (!(await this.directory.find(name))) throw new NotFound(`There is no HAT called "${name}" on this server`, { title: Titles.hatNotFound });
    const address = hatAddress(this.config, name);
    return { name, address, url: baseUrl(this.config, address) };
  }
}

/** `Alice`, `alice.hat.localhost:3000` and `http://alice.hat.localhost/` all mean `alice`. */
export function hatNameIn(typed: string, hatDomain: string): string {
  let text = typed.trim().toLowerCase().slice(0, 300);
  text = text.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/[/?#].*$/, '').replace(/:\d*$/, '').replace(/\.$/, '');
  const suffix = '.' + hatDomain;
  return text.endsWith(suffix) ? text.slice(0, -suffix.length) : text;
}
