// The SDKs log malformed stream events to the console; our tests provoke them on purpose.
process.env.OPENAI_LOG = 'off';
process.env.ANTHROPIC_LOG = 'off';
