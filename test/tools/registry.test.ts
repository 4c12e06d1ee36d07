import { expect } from 'chai';
import { tools, toolSpecs } from '../../src/tools/index.ts';
import { recordFeedbackTool } from '../../src/tools/feedback.ts';
import { transferToHumanTool } from '../../src/tools/transfer.ts';
import type { ToolContext } from '../../src/tools/tool.ts';

// These two tools touch no database; the voice layer acts on what they return.
const context = { caller: { id: 'x', name: 'x', timezone: 'UTC' } } as unknown as ToolContext;

describe('tool registry', () => {
  it('when the specs are built, then every tool has an object schema and the same array is reused', () => {
    const specs = toolSpecs();
    expect(specs.map((s) => s.name)).to.deep.equal(tools.map((t) => t.name));
    for (const spec of specs) {
      expect(spec.parameters.type, spec.name).to.equal('object');
      expect(spec.parameters).to.not.have.property('$schema');
    }
    expect(toolSpecs()).to.equal(specs);
  });

  it('when the brief is read, then every capability it names is registered once', () => {
    const names = tools.map((t) => t.name);
    expect(new Set(names).size).to.equal(names.length);
    expect(names).to.include.members([
      'create_todo', 'list_todos', 'complete_todo', 'update_todo', 'delete_todo',
      'create_reminder', 'list_reminders', 'delete_reminder',
      'create_calendar_event', 'list_calendar_events', 'delete_calendar_event',
      'list_teams', 'list_team_members', 'create_team_todo',
      'transfer_to_human', 'record_feedback',
    ]);
    expect(tools.find((t) => t.name === 'create_todo')?.name).to.equal('create_todo');
    expect(tools.find((t) => t.name === 'rm_rf')).to.equal(undefined);
  });

  it('when a date argument is described, then its schema says date-time', () => {
    const spec = toolSpecs().find((s) => s.name === 'create_reminder');
    const properties = spec?.parameters.properties as Record<string, { format?: string }>;
    expect(properties.remind_at?.format).to.equal('date-time');
  });

  it('when the caller asks for a person, then the tool asks the voice layer to transfer', async () => {
    const result = await transferToHumanTool.run(transferToHumanTool.parameters.parse({ reason: 'billing question' }), context);
    expect(result).to.deep.equal({ transfer: true, reason: 'billing question' });
  });

  it('when the caller gives feedback, then the tool hands the comment back for the voice layer to store', async () => {
    const result = await recordFeedbackTool.run(recordFeedbackTool.parameters.parse({ comment: ' the voice is too fast ' }), context);
    expect(result).to.deep.equal({ feedback: 'the voice is too fast' });
  });
});
