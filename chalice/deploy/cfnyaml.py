"""CloudFormation templates as YAML: short-form intrinsics in and out, no aliases.

:func:`load` reads ``!Ref x``, ``!GetAtt a.b``, ``!Sub ...`` and the other
short forms into their long JSON forms (``{'Ref': 'x'}``, ...); :func:`dump`
writes a template with the intrinsics in short form again, so a merge
template written with short forms comes back out as it went in.  PyYAML's
anchors and aliases (``&id001``/``*id001``, which it writes when one object
appears twice) are never written: CloudFormation does not accept them.
"""
import yaml

# The functions CloudFormation accepts in short form (``Fn::`` dropped).
SHORT_FORMS = ('Base64', 'Cidr', 'FindInMap', 'GetAtt', 'GetAZs', 'ImportValue', 'Join',
               'Select', 'Split', 'Sub', 'Transform', 'And', 'Equals', 'If', 'Not', 'Or',
               'Length', 'ToJsonString')


class Loader(yaml.SafeLoader):
    """A safe loader that also reads CloudFormation's short forms."""


def _construct(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == 'GetAtt':
            value = value.split('.', 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ('Ref', 'Condition'):
        return {suffix: value}
    return {'Fn::' + suffix: value}


Loader.add_multi_constructor('!', _construct)


class Dumper(yaml.SafeDumper):
    """A safe dumper writing intrinsics in short form and never an alias."""

    def ignore_aliases(self, data):
        return True


def _intrinsic(mapping):
    """``(tag, argument)`` when ``mapping`` is an intrinsic that has a short form."""
    if len(mapping) != 1:
        return None
    [(key, argument)] = mapping.items()
    if key == 'Ref':
        tag = '!Ref'
    elif key.startswith('Fn::') and key[4:] in SHORT_FORMS:
        tag = '!' + key[4:]
    else:
        return None
    # One node has one tag: ``!Base64 !Sub x`` cannot be written, so a
    # function whose argument is itself a function keeps its long form.
    if isinstance(argument, dict) and _intrinsic(argument) is not None:
        return None
    return tag, argument


def _represent_dict(dumper, mapping):
    found = _intrinsic(mapping)
    if found is None:
        return dumper.represent_dict(mapping.items())
    tag, argument = found
    if tag == '!GetAtt' and isinstance(argument, list) and len(argument) == 2 \
            and all(isinstance(part, str) for part in argument):
        return dumper.represent_scalar(tag, '.'.join(argument))
    if isinstance(argument, list):
        return dumper.represent_sequence(tag, argument)
    if isinstance(argument, dict):
        return dumper.represent_mapping(tag, argument.items())
    return dumper.represent_scalar(tag, str(argument))


Dumper.add_representer(dict, _represent_dict)


def load(text):
    return yaml.load(text, Loader=Loader)


def dump(template):
    return yaml.dump(template, Dumper=Dumper, default_flow_style=False, sort_keys=False,
                     allow_unicode=True)
