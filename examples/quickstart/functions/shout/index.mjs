// shout is a Node.js function written as an ES module:
// {"text": "hello"} → {"text": "HELLO!"}.
export const handler = async (event) => {
  const text = String(event.text ?? '');
  return { text: `${text.toUpperCase()}!` };
};
