// Encodes Sparkplug B payloads with Eclipse Tahu's JavaScript library (npm sparkplug-payload), an
// encoder independent of mqscope. Reads a JSON list of {file, payload} from stdin and writes each
// encoded payload to its file. argv[2]: the node_modules folder.
const fs = require('fs');
const sparkplug = require(process.argv[2] + '/sparkplug-payload').get('spBv1.0');
const jobs = JSON.parse(fs.readFileSync(0, 'utf8'));
for (const job of jobs) {
  fs.writeFileSync(job.file, Buffer.from(sparkplug.encodePayload(job.payload)));
}
