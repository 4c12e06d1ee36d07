import { context, propagation, ROOT_CONTEXT, SpanKind, trace, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { afterWords, CallerInterrupted, heardPart, wordCount } from '../../agent/interrupted.ts';
import type { Config } from '../../config.ts';
import type { CallRow } from '../../db/calls.ts';
import type { Db } from '../../db/knex.ts';
import { recordRelaySession } from '../../db/relay-sessions.ts';
import { cutLastAnswer } from '../../db/threads.ts';
import type { TurnRow } from '../../db/turns.ts';
import {
  AGENT_DEADLINE_MS,
  AGENT_ELAPSED_MS,
  CALLER_PSEUDO_ID,
  EVENTS,
  HEARD_CHARS,
  HEARD_MS,
  RELAY_END_REASON,
  RELAY_ERROR,
  RELAY_PROBLEM,
  RELAY_SESSION_ID,
  TIME_TO_FIRST_TEXT,
  TRANSCRIPT,
  TRANSCRIPT_LENGTH,
  TURN_END_REASON,
  TURN_ID,
  TWILIO_CALL_SID,
  VOICE_MODE,
} from '../../signals/attributes.ts';
import { recordEvent } from '../../signals/events.ts';
import { agentTimeouts, interruptions, timeToFirstText } from '../../signals/metrics.ts';
import { failSpan, inSpan, Stopped, tracer } from '../../signals/spans.ts';
import type { Caller } from '../../tools/tool.ts';
import { understand } from '../speech.ts';
import { APOLOGY, HOLDING, type Turns } from '../turns.ts';
import { HANDOFF, handoffData, parseRelayMessage, type RelayMessage, type RelayReply } from './messages.ts';

export interface RelaySessionDeps {
  db: Db;
  turns: Turns;
  logger: Logger;
  config: Pick<Config, 'transfer' | 'captureContent'> & { agent: Pick<Config['agent'], 'turnTimeoutMs'> };
}

export interface RelaySession {
  /** Stops the session (the instance stops): the running turn is stopped, the socket closed. */
  close(reason: string): void;
  closed: Promise<void>;
}

// Said when the session must end on a message it cannot trust: no detail of what was wrong.
const REFUSED = "Sorry, something went wrong on my side, so I have to hang up. Please call again. Goodbye.";
const NO_TRANSFER = " I'd put you through to a person, but no one is set up to take calls yet. Is there anything else?";

/** The answer of the session's last turn, as stored: what an interrupt arriving after it was generated cuts down. */
interface Spoken {
  turn: TurnRow;
  /** Words said before the answer (a holding phrase), which `utteranceUntilInterrupt` counts too. */
  heldWords: number;
  /** Set when the caller cut in on it; the turn's own work keeps only what was heard then. */
  interruptedBy?: CallerInterrupted;
}

/**
 * One ConversationRelay session of a signed-in call: Twilio's side of the WebSocket, already
 * authenticated (signature and single-use session token, see server.ts). Prompts are answered one
 * at a time, in order, each as a turn streamed to Twilio as it is generated; an interrupt stops
 * the running turn at once and keeps only what the caller heard. The whole session is one span in
 * the call's trace, each turn a span under it; a message that is not Twilio's ends the session
 * with a spoken apology and a clean close, never a crash.
 */
export function startRelaySession(socket: WebSocket, call: CallRow, caller: Caller, token: string, deps: RelaySessionDeps): RelaySession {
  const { db, turns, logger, config } = deps;
  const parent = call.trace_context ? propagation.extract(ROOT_CONTEXT, call.trace_context) : ROOT_CONTEXT;
  const span = tracer.startSpan(
    'voice_call.relay_session',
    { kind: SpanKind.SERVER, attributes: { [TWILIO_CALL_SID]: call.call_sid, [VOICE_MODE]: 'relay', [CALLER_PSEUDO_ID]: caller.id } },
    parent,
  );
  const inSession = <T>(work: () => T): T => context.with(trace.setSpan(parent, span), work);

  let sessionId: string | null = null;
  let prompts = 0;
  // Prompts, and the cuts interrupts make, run one after another: a prompt never overtakes a cut.
  let queue: Promise<void> = Promise.resolve();
  let running: { abort: AbortController; span: Span; heldWords: number } | null = null;
  let spoken: Spoken | null = null;
  let endReason = 'hangup';
  // Set once the app has sent `end`: Twilio closes the session, and nothing more is answered.
  let ending = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

  const send = (reply: RelayReply) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(reply));
  };

  /** Leaves the session through Twilio: `end`, whose handoffData the <Connect> action reads. */
  function end(reason: (typeof HANDOFF)[keyof typeof HANDOFF]): void {
    endReason = reason;
    ending = true;
    send({ type: 'end', handoffData: handoffData(reason) });
  }

  /** A message we cannot trust: the caller hears an apology, Twilio gets `end`, the socket closes. Nothing else happens. */
  function refuse(problem: string): void {
    inSession(() => recordEvent(logger, 'warn', EVENTS.relayMessageRefused, { [TWILIO_CALL_SID]: call.call_sid, [RELAY_PROBLEM]: problem }));
    if (ending) return;
    send({ type: 'text', token: REFUSED, last: true });
    end(HANDOFF.refused);
    running?.abort.abort(new Stopped('relay session refused'));
    socket.close(1008, 'unexpected message');
  }

  socket.on('message', (data, isBinary) => {
    if (isBinary) return refuse('binary message');
    const parsed = parseRelayMessage(data.toString());
    if ('problem' in parsed) return refuse(parsed.problem);
    try {
      receive(parsed.message);
    } catch (error) {
      // Never a crash: a bug here ends this one session, on the trace.
      failSpan(span, error);
      refuse('message could not be handled');
    }
  });
  // A broken connection or a frame over the size limit: the close that follows ends the session.
  socket.on('error', (error) => logger.warn({ err: error, [TWILIO_CALL_SID]: call.call_sid }, 'relay connection error'));
  socket.on('close', () => {
    running?.abort.abort(new Stopped('the relay session closed'));
    void queue.finally(async () => {
      span.setAttribute(RELAY_END_REASON, endReason);
      span.end();
      inSession(() => logger.info({ [TWILIO_CALL_SID]: call.call_sid, [RELAY_SESSION_ID]: sessionId, prompts, [RELAY_END_REASON]: endReason }, 'relay session ended'));
      await recordRelaySession(db, token, { ended: true }).catch(() => undefined);
      resolveClosed();
    });
  });

  function receive(message: RelayMessage): void {
    if (message.type !== 'setup' && sessionId === null) return refuse(`${message.type} before setup`);
    switch (message.type) {
      case 'setup':
        if (sessionId !== null) return refuse('a second setup');
        // The token named this call; a session for another is not ours to serve.
        if (message.callSid !== call.call_sid) return refuse('setup for another call');
        sessionId = message.sessionId;
        span.setAttribute(RELAY_SESSION_ID, sessionId);
        void recordRelaySession(db, token, { sessionId }).catch(() => undefined);
        return;
      case 'prompt':
        if (!message.last || ending) return; // a partial transcript (the final one follows), or too late
        prompts += 1;
        return enqueue(answer.bind(null, message.voicePrompt, prompts, performance.now()));
      case 'interrupt':
        return interrupted(message.utteranceUntilInterrupt, message.durationUntilInterruptMs);
      case 'dtmf':
        return; // keys are not used once signed in
      case 'error':
        inSession(() => recordEvent(logger, 'warn', EVENTS.relayError, { [TWILIO_CALL_SID]: call.call_sid, [RELAY_ERROR]: message.description }));
        return;
    }
  }

  function enqueue(work: () => Promise<void>): void {
    queue = queue.then(() => inSession(work)).catch((error: unknown) => {
      failSpan(span, error);
      logger.error({ err: error, [TWILIO_CALL_SID]: call.call_sid }, 'relay turn failed');
      send({ type: 'text', token: APOLOGY, last: true });
    });
  }

  /** Barge-in: the running turn stops now and keeps what was heard; an answer already stored is cut to it. */
  function interrupted(heard: string, heardMs: number | undefined): void {
    interruptions.add(1);
    const attributes = {
      [TWILIO_CALL_SID]: call.call_sid,
      [HEARD_CHARS]: heard.length,
      ...(heardMs !== undefined ? { [HEARD_MS]: heardMs } : {}),
    };
    context.with(trace.setSpan(context.active(), running?.span ?? span), () => recordEvent(logger, 'info', EVENTS.callerInterrupted, attributes));
    if (running) {
      running.abort.abort(new CallerInterrupted(afterWords(heard, running.heldWords)));
      return;
    }
    const last = spoken;
    if (!last || last.interruptedBy) return;
    last.interruptedBy = new CallerInterrupted(afterWords(heard, last.heldWords));
    enqueue(() => keepHeard(last.turn, last.interruptedBy!));
  }

  async function keepHeard(turn: TurnRow, cut: CallerInterrupted): Promise<void> {
    if (!turn.thread_id || !turn.answer) return;
    const say = turn.answer;
    await cutLastAnswer(db, turn.thread_id, (stored) => {
      // The stored answer is the end of what was said; the words before it went before tool calls.
      const offset = Math.max(0, say.lastIndexOf(stored));
      const heard = heardPart(say, cut.heard);
      return heard.length > offset ? heard.slice(offset).trim() : '';
    });
  }

  /** `receivedAt`: when the final prompt arrived, from which the caller waits for the first words. */
  async function answer(utterance: string, number: number, receivedAt: number): Promise<void> {
    const heard = understand(utterance);
    if (heard.kind === 'empty') return send({ type: 'text', token: "Sorry, I didn't catch that. What can I do for you?", last: true });
    if (heard.kind === 'goodbye') {
      send({ type: 'text', token: `Goodbye, ${caller.name}. Talk to you soon.`, last: true });
      return end(HANDOFF.goodbye);
    }
    await inSpan('voice_call.relay_turn', { attributes: { [TWILIO_CALL_SID]: call.call_sid } }, async (turnSpan) => {
      turnSpan.setAttributes({
        [TRANSCRIPT_LENGTH]: heard.text.length,
        ...(config.captureContent ? { [TRANSCRIPT]: heard.text } : {}),
      });
      const abort = new AbortController();
      const current = (running = { abort, span: turnSpan, heldWords: 0 });
      let firstText: number | undefined;
      // No words by the time a Gather caller would be put on hold: the caller hears why they wait.
      const hold = setTimeout(() => {
        if (firstText !== undefined || abort.signal.aborted) return;
        agentTimeouts.add(1);
        recordEvent(logger, 'warn', EVENTS.agentTimeout, {
          [TWILIO_CALL_SID]: call.call_sid,
          [AGENT_DEADLINE_MS]: config.agent.turnTimeoutMs,
          [AGENT_ELAPSED_MS]: Math.round(performance.now() - receivedAt),
        });
        current.heldWords = wordCount(HOLDING[0]!);
        send({ type: 'text', token: `${HOLDING[0]} `, last: false });
      }, config.agent.turnTimeoutMs - (performance.now() - receivedAt));
      let reply;
      try {
        reply = await turns.stream({
          callSid: call.call_sid,
          caller,
          utterance: heard.text,
          key: `relay:${sessionId}:${number}`,
          signal: abort.signal,
          onText: (chunk) => {
            if (firstText === undefined) {
              firstText = (performance.now() - receivedAt) / 1000;
              turnSpan.setAttribute(TIME_TO_FIRST_TEXT, firstText);
              timeToFirstText.record(firstText);
            }
            send({ type: 'text', token: chunk, last: false });
          },
        });
      } finally {
        clearTimeout(hold);
        running = null;
      }
      const cut = abort.signal.reason instanceof CallerInterrupted ? abort.signal.reason : undefined;
      if (reply.kind === 'answer' && reply.turn) {
        turnSpan.setAttributes({ [TURN_ID]: reply.turn.id, [TURN_END_REASON]: reply.turn.end_reason ?? 'completed' });
        spoken = { turn: reply.turn, heldWords: current.heldWords, interruptedBy: cut };
        // Cut in on as the answer was being stored: the stored answer is cut to what was heard.
        if (cut && reply.turn.end_reason !== 'interrupted') await keepHeard(reply.turn, cut);
      }
      if (cut || abort.signal.aborted) return; // the caller is talking, or gone: nothing more to say
      switch (reply.kind) {
        case 'answer':
          if (reply.action === 'transfer') {
            if (config.transfer.number || config.transfer.sipUri) {
              send({ type: 'text', token: '', last: true });
              return end(HANDOFF.transfer);
            }
            return send({ type: 'text', token: NO_TRANSFER, last: true });
          }
          return send({ type: 'text', token: '', last: true });
        case 'apology':
          // Whatever was said before it failed was said; the apology follows it.
          return send({ type: 'text', token: firstText === undefined && !current.heldWords ? reply.say : ` ${reply.say}`, last: true });
        case 'ended':
          return end(HANDOFF.goodbye);
        default:
          return send({ type: 'text', token: APOLOGY, last: true });
      }
    });
  }

  return {
    closed,
    close(reason: string) {
      endReason = reason;
      running?.abort.abort(new Stopped(reason));
      socket.close(1001, 'going away');
    },
  };
}
