// Reading and writing the spiffworkflow extensions and the few BPMN attributes the panel edits.
// Every write goes through bpmn-js's modeling commands, grouped into one command per edit, so
// that undo (Ctrl+Z) undoes an edit as a whole.
import { getLabel } from 'bpmn-js/lib/util/LabelUtil';
import { is } from 'bpmn-js/lib/util/ModelUtil';

export const TIMER_KINDS = ['timeDuration', 'timeDate', 'timeCycle'];

// A command whose only work is to run other commands: they then form a single undo step.
class BatchHandler {
  preExecute(context) { context.apply(); }
  execute() { return []; }
  revert() { return []; }
}

export function findExtension(bo, type) {
  const values = bo && bo.extensionElements && bo.extensionElements.get('values');
  return (values || []).find((value) => value.$instanceOf && value.$instanceOf(type));
}

export function getProperty(bo, name) {
  const properties = findExtension(bo, 'spiffworkflow:Properties');
  const property = properties && properties.get('values').find((p) => p.name === name);
  return property ? (property.value || '') : '';
}

export function getBody(bo, type) {
  const extension = findExtension(bo, type);
  return extension ? (extension.value || '') : '';
}

export function getDocumentation(bo) {
  const docs = bo.get('documentation') || [];
  return docs.length ? (docs[0].text || '') : '';
}

export function getTimer(bo) {
  const definitions = bo.get && bo.eventDefinitions;
  const timer = (definitions || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
  if (!timer) return null;
  const kind = TIMER_KINDS.find((k) => timer.get(k)) || 'timeDuration';
  const expression = timer.get(kind);
  return { definition: timer, kind, body: expression ? (expression.body || '') : '' };
}

export function createEditing(modeler) {
  const modeling = modeler.get('modeling');
  const moddle = modeler.get('moddle');
  const commandStack = modeler.get('commandStack');
  commandStack.registerHandler('studio.batch', BatchHandler);

  const batch = (apply) => commandStack.execute('studio.batch', { apply });
  const blank = (text) => !text || !String(text).trim();

  function addExtension(element, child) {
    const bo = element.businessObject;
    const extensionElements = bo.extensionElements;
    if (!extensionElements) {
      const created = moddle.create('bpmn:ExtensionElements', { values: [child] });
      created.$parent = bo;
      child.$parent = created;
      modeling.updateModdleProperties(element, bo, { extensionElements: created });
      return;
    }
    child.$parent = extensionElements;
    modeling.updateModdleProperties(element, extensionElements, {
      values: [...extensionElements.get('values'), child],
    });
  }

  function removeExtension(element, child) {
    const bo = element.businessObject;
    const extensionElements = bo.extensionElements;
    if (!extensionElements) return;
    const rest = extensionElements.get('values').filter((value) => value !== child);
    if (rest.length) {
      modeling.updateModdleProperties(element, extensionElements, { values: rest });
    } else {
      modeling.updateModdleProperties(element, bo, { extensionElements: undefined });
    }
  }

  // <spiffworkflow:property name="…" value="…"/> inside <spiffworkflow:properties>; an empty
  // value removes the property (and the containers left empty).
  function setProperty(element, name, value) {
    const bo = element.businessObject;
    const next = blank(value) ? '' : String(value);
    if (getProperty(bo, name) === next) return false;
    batch(() => {
      const properties = findExtension(bo, 'spiffworkflow:Properties');
      const property = properties && properties.get('values').find((p) => p.name === name);
      if (!next) {
        const rest = properties.get('values').filter((p) => p !== property);
        if (rest.length) modeling.updateModdleProperties(element, properties, { values: rest });
        else removeExtension(element, properties);
      } else if (property) {
        modeling.updateModdleProperties(element, property, { value: next });
      } else if (properties) {
        const created = moddle.create('spiffworkflow:Property', { name, value: next });
        created.$parent = properties;
        modeling.updateModdleProperties(element, properties, {
          values: [...properties.get('values'), created],
        });
      } else {
        const created = moddle.create('spiffworkflow:Property', { name, value: next });
        const container = moddle.create('spiffworkflow:Properties', { values: [created] });
        created.$parent = container;
        addExtension(element, container);
      }
    });
    return true;
  }

  // Elements whose text is their body: instructionsForEndUser, preScript, postScript,
  // calledDecisionId.
  function setBody(element, type, text) {
    const bo = element.businessObject;
    const next = blank(text) ? '' : String(text);
    const existing = findExtension(bo, type);
    if ((existing ? existing.value || '' : '') === next) return false;
    batch(() => {
      if (!next) removeExtension(element, existing);
      else if (existing) modeling.updateModdleProperties(element, existing, { value: next });
      else addExtension(element, moddle.create(type, { value: next }));
    });
    return true;
  }

  // An id is an XML NCName, unique in the diagram; scenarios and dossiers refer to it.
  const ID_SHAPE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

  function idProblem(element, id) {
    if (!ID_SHAPE.test(id)) {
      return 'Un identifiant commence par une lettre et ne contient que lettres, chiffres, «\u00a0_\u00a0», «\u00a0-\u00a0» et «\u00a0.\u00a0».';
    }
    const other = modeler.get('elementRegistry').get(id);
    if (other && other !== element) return `L’identifiant «\u00a0${id}\u00a0» est déjà utilisé.`;
    return null;
  }

  function setId(element, id) {
    const next = String(id || '').trim();
    if (next === element.businessObject.id || idProblem(element, next)) return false;
    modeling.updateProperties(element, { id: next });
    return true;
  }

  function setName(element, name) {
    if ((getLabel(element) || '') === name) return false;
    modeling.updateLabel(element, name);
    return true;
  }

  function setDocumentation(element, text) {
    const bo = element.businessObject;
    const next = blank(text) ? '' : String(text);
    if (getDocumentation(bo) === next) return false;
    const docs = bo.get('documentation');
    batch(() => {
      if (!next) {
        modeling.updateModdleProperties(element, bo, { documentation: docs.slice(1) });
      } else if (docs.length) {
        modeling.updateModdleProperties(element, docs[0], { text: next });
      } else {
        const doc = moddle.create('bpmn:Documentation', { text: next });
        doc.$parent = bo;
        modeling.updateModdleProperties(element, bo, { documentation: [doc] });
      }
    });
    return true;
  }

  function setScript(element, text) {
    const bo = element.businessObject;
    const next = blank(text) ? '' : String(text);
    if ((bo.script || '') === next) return false;
    const properties = { script: next || undefined };
    if (next && !bo.scriptFormat) properties.scriptFormat = 'python';
    modeling.updateProperties(element, properties);
    return true;
  }

  function setCondition(flow, text) {
    const bo = flow.businessObject;
    const next = blank(text) ? '' : String(text);
    const condition = bo.conditionExpression;
    if ((condition ? condition.body || '' : '') === next) return false;
    if (!next) {
      modeling.updateProperties(flow, { conditionExpression: undefined });
    } else if (condition) {
      modeling.updateModdleProperties(flow, condition, { body: next });
    } else {
      const expression = moddle.create('bpmn:FormalExpression', { body: next });
      expression.$parent = bo;
      modeling.updateProperties(flow, { conditionExpression: expression });
    }
    return true;
  }

  // The gateway's default flow (taken when no condition holds): a default flow has no condition.
  function setDefaultFlow(flow, isDefault) {
    const gateway = flow.source;
    const current = gateway.businessObject.default === flow.businessObject;
    if (current === Boolean(isDefault)) return false;
    batch(() => {
      if (isDefault && flow.businessObject.conditionExpression) {
        modeling.updateProperties(flow, { conditionExpression: undefined });
      }
      modeling.updateProperties(gateway, { default: isDefault ? flow.businessObject : undefined });
    });
    return true;
  }

  function setTimer(element, kind, text) {
    const timer = getTimer(element.businessObject);
    if (!timer) return false;
    const next = blank(text) ? '' : String(text);
    if (timer.kind === kind && timer.body === next) return false;
    const properties = {};
    for (const k of TIMER_KINDS) properties[k] = undefined;
    if (next) {
      const expression = moddle.create('bpmn:FormalExpression', { body: next });
      expression.$parent = timer.definition;
      properties[kind] = expression;
    }
    modeling.updateModdleProperties(element, timer.definition, properties);
    return true;
  }

  return {
    batch,
    setProperty,
    setBody,
    setName,
    setId,
    idProblem,
    setDocumentation,
    setScript,
    setCondition,
    setDefaultFlow,
    setTimer,
  };
}
