"""CloudFormation YAML: short forms read and written, never an anchor or alias."""
import pytest
import yaml

from chalice.deploy import cfnyaml

SHORT_FORMS = '''\
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Condition: IsProd
  Fn:
    Properties:
      Environment:
        Variables:
          TABLE: !Ref Table
          ARN: !GetAtt Table.Arn
          STREAM: !GetAtt [Table, StreamArn]
          URL: !Sub 'https://${Api}.execute-api.${AWS::Region}.amazonaws.com/'
          SUBBED: !Sub ['${A}-x', {A: !Ref Other}]
          JOINED: !Join ['-', [!Ref 'AWS::StackName', !Select [0, !GetAZs '']]]
          ENCODED: !Base64
            Fn::Sub: '${Table}'
          PICKED: !If [IsProd, !FindInMap [M, !Ref 'AWS::Region', key], !Ref 'AWS::NoValue']
          CHECK: !Equals [!Ref Stage, prod]
          IMPORTED: !ImportValue shared-value
          CONDITIONAL: !And [!Condition IsProd, !Not [!Equals [a, b]]]
'''


def test_short_forms_load_as_long_forms():
    template = cfnyaml.load(SHORT_FORMS)
    variables = template['Resources']['Fn']['Properties']['Environment']['Variables']
    assert variables['TABLE'] == {'Ref': 'Table'}
    assert variables['ARN'] == {'Fn::GetAtt': ['Table', 'Arn']}
    assert variables['STREAM'] == {'Fn::GetAtt': ['Table', 'StreamArn']}
    assert variables['SUBBED'] == {'Fn::Sub': ['${A}-x', {'A': {'Ref': 'Other'}}]}
    assert variables['JOINED'] == {'Fn::Join': ['-', [
        {'Ref': 'AWS::StackName'}, {'Fn::Select': [0, {'Fn::GetAZs': ''}]}]]}
    assert variables['ENCODED'] == {'Fn::Base64': {'Fn::Sub': '${Table}'}}
    assert variables['CONDITIONAL'] == {'Fn::And': [
        {'Condition': 'IsProd'}, {'Fn::Not': [{'Fn::Equals': ['a', 'b']}]}]}
    assert template['Resources']['Table']['Condition'] == 'IsProd'


def test_short_forms_round_trip():
    template = cfnyaml.load(SHORT_FORMS)
    text = cfnyaml.dump(template)
    assert cfnyaml.load(text) == template
    assert "TABLE: !Ref 'Table'" in text
    assert "ARN: !GetAtt 'Table.Arn'" in text
    assert 'URL: !Sub ' in text
    # A function whose argument is a function keeps its long form around it.
    assert 'Fn::Base64: !Sub' in text
    assert 'Fn::' not in text.replace('Fn::Base64', '')


def test_no_anchors_or_aliases_for_shared_objects():
    shared = {'Ref': 'WebsocketAPI'}
    policy = {'Version': '2012-10-17', 'Statement': []}
    template = {'A': {'ApiId': shared, 'Policy': policy}, 'B': {'ApiId': shared,
                                                                'Policy': policy}}
    text = cfnyaml.dump(template)
    assert '&' not in text and '*' not in text
    assert cfnyaml.load(text) == template
    # A plain YAML reader sees the same structure (tags aside).
    assert yaml.safe_load(cfnyaml.dump({'A': policy, 'B': policy})) == {'A': policy,
                                                                         'B': policy}


@pytest.mark.parametrize('value', ['yes', '1.0', 'null', '010', 'a: b', '- x', ''])
def test_strings_that_look_like_other_things_stay_strings(value):
    text = cfnyaml.dump({'V': value, 'R': {'Ref': value or 'x'}})
    assert cfnyaml.load(text) == {'V': value, 'R': {'Ref': value or 'x'}}
