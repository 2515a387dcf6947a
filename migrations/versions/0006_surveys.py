"""surveys: questions, options, responses and answers as data; participations make one response per member a constraint

Revision ID: 0006_surveys
Revises: 0005_ended_sessions
Create Date: 2026-11-28 05:41:35.719184

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_surveys'
down_revision = '0005_ended_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('intro', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('anonymous', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('template', sa.String(length=40), nullable=True),
    sa.Column('results_published', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('invitation_broadcast_id', sa.Integer(), nullable=True),
    sa.Column('results_broadcast_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_surveys_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invitation_broadcast_id'], ['broadcasts.id'], name=op.f('fk_surveys_invitation_broadcast_id_broadcasts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['results_broadcast_id'], ['broadcasts.id'], name=op.f('fk_surveys_results_broadcast_id_broadcasts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_status'), ['status'], unique=False)

    op.create_table('survey_audience_countries',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_audience_countries_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', 'country_code', name=op.f('pk_survey_audience_countries'))
    )
    with op.batch_alter_table('survey_audience_countries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_audience_countries_country_code'), ['country_code'], unique=False)

    op.create_table('survey_audience_places',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_survey_audience_places_place_id_places')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_audience_places_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', 'place_id', name=op.f('pk_survey_audience_places'))
    )
    with op.batch_alter_table('survey_audience_places', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_audience_places_place_id'), ['place_id'], unique=False)

    op.create_table('survey_invitations',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_invitations_survey_id_surveys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_survey_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', 'user_id', name=op.f('pk_survey_invitations'))
    )
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.create_index('ix_survey_invitations_user_sent', ['user_id', 'invited_at'], unique=False)

    op.create_table('survey_participations',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_participations_survey_id_surveys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_survey_participations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', 'user_id', name=op.f('pk_survey_participations'))
    )
    with op.batch_alter_table('survey_participations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_participations_user_id'), ['user_id'], unique=False)

    op.create_table('survey_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('prompt', sa.JSON(), nullable=False),
    sa.Column('hint', sa.JSON(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=True),
    sa.Column('min_value', sa.BigInteger(), nullable=True),
    sa.Column('max_value', sa.BigInteger(), nullable=True),
    sa.Column('low_label', sa.JSON(), nullable=False),
    sa.Column('high_label', sa.JSON(), nullable=False),
    sa.Column('condition_question_id', sa.Integer(), nullable=True),
    sa.Column('condition_option_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['condition_question_id'], ['survey_questions.id'], name=op.f('fk_survey_questions_condition_question_id_survey_questions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_questions_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_questions'))
    )
    with op.batch_alter_table('survey_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_questions_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('submitted_on', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.Column('home_region_id', sa.Integer(), nullable=True),
    sa.Column('return_plan', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['home_region_id'], ['places.id'], name=op.f('fk_survey_responses_home_region_id_places'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_responses_survey_id_surveys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_survey_responses_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses'))
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_responses_survey_id'), ['survey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_responses_user_id'), ['user_id'], unique=False)

    op.create_table('survey_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], name=op.f('fk_survey_options_question_id_survey_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_options'))
    )
    with op.batch_alter_table('survey_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_options_question_id'), ['question_id'], unique=False)

    # Results: counts by question, answer and filter, kept on submit (results read these).
    op.create_table('survey_result_counts',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('cell', sa.String(length=24), nullable=False),
    sa.Column('number', sa.BigInteger(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('home_region_id', sa.Integer(), nullable=False),
    sa.Column('return_plan', sa.String(length=20), nullable=False),
    sa.Column('respondents', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_result_counts_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', 'question_id', 'cell', 'number', 'country_code', 'home_region_id', 'return_plan', name=op.f('pk_survey_result_counts'))
    )

    op.create_table('survey_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.Column('number_value', sa.BigInteger(), nullable=True),
    sa.Column('text_value', sa.Text(), nullable=True),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.ForeignKeyConstraint(['option_id'], ['survey_options.id'], name=op.f('fk_survey_answers_option_id_survey_options'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_survey_answers_place_id_places'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], name=op.f('fk_survey_answers_question_id_survey_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['survey_responses.id'], name=op.f('fk_survey_answers_response_id_survey_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers')),
    sa.UniqueConstraint('response_id', 'question_id', 'option_id', name=op.f('uq_survey_answers_response_id'))
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index('ix_survey_answers_question_number', ['question_id', 'number_value'], unique=False)
        batch_op.create_index('ix_survey_answers_question_option', ['question_id', 'option_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_answers_response_id'), ['response_id'], unique=False)



def downgrade():
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answers_response_id'))
        batch_op.drop_index('ix_survey_answers_question_option')
        batch_op.drop_index('ix_survey_answers_question_number')

    op.drop_table('survey_answers')
    op.drop_table('survey_result_counts')
    with op.batch_alter_table('survey_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_options_question_id'))

    op.drop_table('survey_options')
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_responses_user_id'))
        batch_op.drop_index(batch_op.f('ix_survey_responses_survey_id'))

    op.drop_table('survey_responses')
    with op.batch_alter_table('survey_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_questions_survey_id'))

    op.drop_table('survey_questions')
    with op.batch_alter_table('survey_participations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_participations_user_id'))

    op.drop_table('survey_participations')
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_invitations_user_sent')

    op.drop_table('survey_invitations')
    with op.batch_alter_table('survey_audience_places', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_audience_places_place_id'))

    op.drop_table('survey_audience_places')
    with op.batch_alter_table('survey_audience_countries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_audience_countries_country_code'))

    op.drop_table('survey_audience_countries')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_status'))

    op.drop_table('surveys')
