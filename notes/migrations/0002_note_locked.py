from django.db import migrations, models


class AddColumnInPlace(migrations.AddField):
    """AddField that adds the column in place on SQLite too (ALTER TABLE … ADD COLUMN
    with the field's constant database default).

    For a NOT NULL column Django's SQLite backend instead copies the whole table into a
    new one: every note's CRDT checkpoint, and the table's triggers are lost with the old
    table (other apps may keep some on notes_note, e.g. a search index). Elsewhere this is
    Django's AddField.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        definition, params = schema_editor.column_sql(model, field, include_default=True)
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"ALTER TABLE {quote(model._meta.db_table)} "
            f"ADD COLUMN {quote(field.column)} {definition}",
            params or None,
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"ALTER TABLE {quote(model._meta.db_table)} DROP COLUMN {quote(field.column)}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0001_initial"),
    ]

    operations = [
        AddColumnInPlace(
            model_name="note",
            name="locked",
            field=models.BooleanField(default=False, db_default=False),
        ),
    ]
