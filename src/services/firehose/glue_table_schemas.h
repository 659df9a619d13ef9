// TableSchemas over tarn's Glue Data Catalog: the columns of the table a
// DataFormatConversionConfiguration names, read through GlueService's public
// interface at each flush (so a schema change applies to the next object,
// as VersionId "LATEST" asks).
#pragma once

#include "services/firehose/ports.h"
#include "services/glue/glue_service.h"

namespace tarn::firehose {

class GlueTableSchemas : public TableSchemas {
 public:
  // glue must outlive this.
  explicit GlueTableSchemas(glue::GlueService* glue) : glue_(glue) {}
  Result<std::vector<ConversionColumn>> Columns(const TableRef& table) override;

 private:
  glue::GlueService* glue_;
};

}  // namespace tarn::firehose
