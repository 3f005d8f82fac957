// Opens segment argv[2], commits argv[3] (UTF-8) and prints the new version.
import { Segment } from '../../src/index';

const [name, payload] = process.argv.slice(2) as [string, string];
const segment = Segment.open(name);
console.log(String(segment.commit(Buffer.from(payload))));
segment.close();
