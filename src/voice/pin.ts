const SPOKEN_DIGITS: Record<string, string> = {
  zero: '0', oh: '0', o: '0', nought: '0',
  one: '1', won: '1',
  two: '2', to: '2', too: '2',
  three: '3', tree: '3',
  four: '4', for: '4', fore: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8', ate: '8',
  nine: '9', niner: '9',
};

/**
 * The PIN in what Twilio heard: keypad `Digits`, or speech such as "one two three four",
 * "1 2 3 4" or "oh four one nine". Null when anything but digits was said.
 */
export function readPin(heard: { digits?: string; speech?: string }): string | null {
  const digits = heard.digits?.replace(/[#*\s]/g, '');
  if (digits) return /^\d{4,8}$/.test(digits) ? digits : null;
  const words = (heard.speech ?? '')
    .toLowerCase()
    .replace(/[.,!?-]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  let pin = '';
  for (const word of words) {
    if (/^\d+$/.test(word)) pin += word;
    else if (word in SPOKEN_DIGITS) pin += SPOKEN_DIGITS[word];
    else if (word === 'my' || word === 'pin' || word === 'is' || word === 'it\'s') continue;
    else return null;
  }
  return /^\d{4,8}$/.test(pin) ? pin : null;
}
