import type Redis from 'ioredis';

/** Counts the commands `client` sends from now on (a script call, a pipeline's each command): read with the function returned. */
export function countCommands(client: Redis): () => number {
  let commands = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) => {
    commands++;
    return send(command, stream);
  }) as Redis['sendCommand'];
  return () => commands;
}
