import { XMLParser } from 'fast-xml-parser';

/** The parts of a TwiML answer a caller would notice, in document order. */
export interface HeardTwiml {
  /** Everything said, in order, including prompts inside a Gather. */
  said: string[];
  /** What follows a Gather, which Twilio plays only when the caller says nothing. */
  ifSilent?: { said: string[]; hangup: boolean };
  gather?: { action: string; input: string; attributes: Record<string, string> };
  redirect?: string;
  dial?: { number?: string; sip?: string };
  /** A ConversationRelay session: the WebSocket to open, its greeting, and the URL Twilio asks when it ends. */
  connect?: { action: string; url: string; greeting: string };
  hangup: boolean;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  preserveOrder: true,
  trimValues: true,
  // Phone numbers and PINs are text: "+15555550123" must not become a number.
  parseTagValue: false,
  parseAttributeValue: false,
});

type Node = { [tag: string]: Node[] | string } & { ':@'?: Record<string, string> };

/** Reads TwiML the way Twilio would act on it; throws on anything that is not a <Response>. */
export function readTwiml(xml: string): HeardTwiml {
  const document = parser.parse(xml) as Node[];
  const response = document.find((node) => 'Response' in node);
  if (!response) throw new Error(`not TwiML: ${xml.slice(0, 120)}`);
  const heard: HeardTwiml = { said: [], hangup: false };
  let target = heard;
  for (const verb of response.Response as Node[]) {
    walk(verb, target);
    if ('Gather' in verb) target = heard.ifSilent = { said: [], hangup: false };
  }
  return heard;
}

function walk(node: Node, heard: Pick<HeardTwiml, 'said' | 'hangup'> & Partial<HeardTwiml>): void {
  const [tag] = Object.keys(node).filter((key) => key !== ':@');
  if (!tag) return;
  const attributes = node[':@'] ?? {};
  const children = Array.isArray(node[tag]) ? (node[tag] as Node[]) : [];
  switch (tag) {
    case 'Say':
      heard.said.push(text(children));
      break;
    case 'Gather':
      heard.gather = { action: attributes.action ?? '', input: attributes.input ?? '', attributes };
      for (const child of children) walk(child, heard);
      break;
    case 'Redirect':
      heard.redirect = text(children);
      break;
    case 'Dial':
      heard.dial = {};
      for (const child of children) {
        if ('Number' in child) heard.dial.number = text(child.Number as Node[]);
        if ('Sip' in child) heard.dial.sip = text(child.Sip as Node[]);
      }
      break;
    case 'Connect': {
      const relay = children.find((child) => 'ConversationRelay' in child);
      const relayAttributes = relay?.[':@'] ?? {};
      heard.connect = { action: attributes.action ?? '', url: relayAttributes.url ?? '', greeting: relayAttributes.welcomeGreeting ?? '' };
      if (heard.connect.greeting) heard.said.push(heard.connect.greeting);
      break;
    }
    case 'Hangup':
      heard.hangup = true;
      break;
  }
}

function text(children: Node[]): string {
  return children.map((child) => String(child['#text'] ?? '')).join('');
}
