#include "services/firehose/glue_table_schemas.h"

#include "services/glue/glue_validate.h"

namespace tarn::firehose {

Result<std::vector<ConversionColumn>> GlueTableSchemas::Columns(const TableRef& ref) {
  const glue::ServiceOptions& options = glue_->options();
  if (!ref.region.empty() && ref.region != options.region) {
    return InvalidArgument("SchemaConfiguration.Region " + ref.region +
                           " is not this server's region (" + options.region + ")");
  }
  TARN_RETURN_IF_ERROR(glue_->CheckCatalog(ref.catalog_id));
  // Glue folds names to lowercase (for Hive); a mixed-case name in the
  // configuration names the same table.
  std::string db = glue::LowerName(ref.database);
  std::string table = glue::LowerName(ref.table);
  Result<glue::Json> doc = ref.version_id.empty() || ref.version_id == "LATEST"
                               ? glue_->GetTable(db, table)
                               : glue_->GetTableVersion(db, table, ref.version_id);
  if (!doc.ok()) return doc.status();
  const glue::Json* t = nullptr;
  if (doc->contains("Table")) {
    t = &(*doc)["Table"];
  } else if (doc->contains("TableVersion") && (*doc)["TableVersion"].contains("Table")) {
    t = &(*doc)["TableVersion"]["Table"];
  }
  if (t == nullptr || !t->contains("StorageDescriptor") ||
      !(*t)["StorageDescriptor"].contains("Columns") ||
      !(*t)["StorageDescriptor"]["Columns"].is_array()) {
    return InvalidArgument("Glue table " + db + "." + table + " has no columns");
  }
  std::vector<ConversionColumn> columns;
  for (const glue::Json& c : (*t)["StorageDescriptor"]["Columns"]) {
    if (!c.is_object() || !c.contains("Name") || !c["Name"].is_string()) continue;
    ConversionColumn col;
    col.name = c["Name"].get<std::string>();
    col.type = c.contains("Type") && c["Type"].is_string() ? c["Type"].get<std::string>() : "string";
    columns.push_back(std::move(col));
  }
  if (columns.empty()) return InvalidArgument("Glue table " + db + "." + table + " has no columns");
  return columns;
}

}  // namespace tarn::firehose
